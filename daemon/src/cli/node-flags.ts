// The node flags ferryd runs with, wherever it is installed: the systemd unit and the image pass
// them (a unit test checks both), and the demo, the tests and bench/footprint.ts start ferryd with
// them. A 1 MiB young generation (the default grows to 16 MiB twice over) and V8's memory-saving
// heuristics keep ferryd's own memory flat, where it peaked past 80 MiB; with no background
// threads for V8 (compiling and collecting garbage on the main thread, whose heap is about
// 20 MiB) it is 6 MiB less again, for less CPU in all and a pass some 5% slower in wall time
// (bench/README.md). A script's first line cannot carry them portably (busybox `env` has no -S).
export const FERRYD_NODE_FLAGS: readonly string[] = [
  '--max-semi-space-size=1',
  '--optimize-for-size',
  '--single-threaded',
];
