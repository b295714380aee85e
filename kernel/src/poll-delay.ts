/** Longest wait between passes while the source or engine keeps failing. */
export const MAX_BACKOFF_MS = 5 * 60 * 1000;
/** Poll intervals spread by ±10% so a fleet does not hit the git server in step. */
export const JITTER = 0.1;

/**
 * Milliseconds until the next poll: the interval, doubled for each consecutive failure up to
 * MAX_BACKOFF_MS (but never below the interval), spread by ±JITTER. `random` is in [0, 1).
 */
export function nextPollDelay(
  intervalMs: number,
  consecutiveFailures: number,
  random: number,
): number {
  const backoff =
    consecutiveFailures > 0
      ? Math.max(intervalMs, Math.min(intervalMs * 2 ** consecutiveFailures, MAX_BACKOFF_MS))
      : intervalMs;
  return Math.round(backoff * (1 - JITTER + random * 2 * JITTER));
}
