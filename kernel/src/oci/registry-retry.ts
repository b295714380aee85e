// When the registry client asks again, and how long it waits first. Retried: network errors, 5xx
// and 429 (after its Retry-After). Never: other 4xx, and Ferry errors not marked retryable
// (credentials refused).
import { FerryError } from '../errors.js';

/** The longest `Retry-After` honoured; a registry asking for more is treated as failing. */
const MAX_RETRY_AFTER_MS = 60_000;

/** Milliseconds a 429 or 503 asks to wait (`Retry-After`: seconds or an HTTP date), if any. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - now;
  return Number.isFinite(ms) ? Math.max(0, ms) : undefined;
}

export interface RetryOptions {
  readonly retries: number;
  readonly sleep: (ms: number) => Promise<void>;
  /** 0 <= random < 1, for backoff jitter. */
  readonly random: () => number;
  readonly signal?: AbortSignal;
}

/** The answer of `attempt`, asked again as the rules above allow. */
export async function withRetries(
  attempt: () => Promise<Response>,
  options: RetryOptions,
): Promise<Response> {
  const { retries, signal } = options;
  for (let n = 0; ; n += 1) {
    let wait: number | undefined;
    try {
      const response = await attempt();
      const transient = response.status >= 500 || response.status === 429;
      wait = retryAfterMs(response.headers.get('retry-after'));
      // Asked to come back much later: this pass takes the answer as it is.
      if (!transient || n >= retries || (wait ?? 0) > MAX_RETRY_AFTER_MS) return response;
      await response.body?.cancel();
    } catch (error) {
      if (n >= retries || signal?.aborted) throw error;
      if (error instanceof FerryError && !error.retryable) throw error;
    }
    // Exponential backoff with jitter: 250 ms, 500 ms, 1 s, 2 s ..., each between half and all.
    await options.sleep(wait ?? Math.round(250 * 2 ** n * (0.5 + options.random() / 2)));
  }
}
