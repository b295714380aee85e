#!/usr/bin/env -S node --max-semi-space-size=1 --optimize-for-size
// The node flags above are how ferryd runs everywhere (systemd unit, image, tests, benchmarks): a
// 1 MiB young generation and V8's memory-saving heuristics keep a gateway's ferryd near 40 MiB of
// its own memory, flat, instead of peaks past 80 (bench/footprint.ts; docs/ferryd.md).
import '../dist/daemon/src/cli/ferryd.js';
