// Loaded with `node --import` (or NODE_OPTIONS) into a process under measurement: when it exits,
// writes its peak resident set (VmHWM, from /proc) to the file named by FERRY_BENCH_RSS_FILE.
// Peak RSS counts what the heap figures miss (buffers, zlib, native memory).
import { readFileSync, writeFileSync } from 'node:fs';

const target = process.env.FERRY_BENCH_RSS_FILE;
if (target)
  process.on('exit', () => {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kib = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
    writeFileSync(target, String(kib * 1024));
  });
