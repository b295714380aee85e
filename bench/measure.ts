// Measuring under load, shared by the benchmarks: percentiles, what a process costs (from
// /proc), and running work a few at a time.
import { readFile } from 'node:fs/promises';

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** A process's resident memory (now and peak) and CPU seconds so far, from /proc. */
export async function processCost(pid: number) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  const ticks = Number(stat[11]) + Number(stat[12]);
  return { rss: kib('VmRSS') * 1024, peakRss: kib('VmHWM') * 1024, cpuSeconds: ticks / 100 };
}

/** Runs `work(k)` for k = 0..count-1, at most `parallel` at a time. */
export async function inParallel(
  count: number,
  parallel: number,
  work: (k: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

/** CPU seconds a process and the children it has waited for used (git http-backend per request). */
export async function cpuWithChildren(pid: number): Promise<number> {
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  return (Number(stat[11]) + Number(stat[12]) + Number(stat[13]) + Number(stat[14])) / 100;
}

/**
 * Fires `fire(k)` for k = 0..count-1 at random moments of `seconds` (open loop: a slow server
 * does not slow the callers down, as a fleet's devices would not); resolves when all answered.
 */
export async function openLoop(
  count: number,
  seconds: number,
  fire: (k: number) => Promise<void>,
): Promise<number> {
  const start = performance.now();
  const times = Array.from({ length: count }, () => Math.random() * seconds * 1000).sort(
    (a, b) => a - b,
  );
  const inFlight: Promise<void>[] = [];
  for (const [k, at] of times.entries()) {
    const wait = at - (performance.now() - start);
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(fire(k));
  }
  await Promise.all(inFlight);
  return (performance.now() - start) / 1000;
}
