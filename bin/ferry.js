#!/usr/bin/env node
import '../dist/builder/src/cli/ferry.js';
