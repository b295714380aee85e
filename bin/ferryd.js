#!/usr/bin/env node
import '../dist/daemon/src/cli/ferryd.js';
