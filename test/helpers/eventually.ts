// Waiting in tests: poll a condition until it holds, never sleep a fixed time. Fails with what was
// awaited and, when given, what the caller adds (the logs of the process under test, say).

export interface EventuallyOptions {
  readonly timeoutMs?: number;
  readonly everyMs?: number;
  /** Appended to the failure, e.g. the last lines of a daemon's log. */
  readonly detail?: () => string | Promise<string>;
}

/**
 * Calls `probe` until it returns something other than `undefined` or `false` (a probe that throws
 * counts as not yet), and returns that.
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: EventuallyOptions = {},
): Promise<T> {
  const { timeoutMs = 30_000, everyMs = 100 } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  const detail = options.detail ? `\n${await options.detail()}` : '';
  const last = lastError ? ` (last error: ${String(lastError)})` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last}${detail}`);
}
