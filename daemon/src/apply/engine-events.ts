// The engine's event stream, watched so that a poll that finds nothing new need not ask the engine
// anything: `mark()` changes whenever a container, network, volume or image may have changed, and
// is undefined while the stream is down (then every question goes to the engine). A silent break
// is covered by the callers, who ask again after a few minutes whatever the marks say.
import type { IncomingMessage } from 'node:http';
import type { EngineApi } from './engine-api.js';

/** What can change what ferryd sees; health checks' exec_* and health_status are left out. */
const WATCHED = {
  type: ['container', 'network', 'volume', 'image'],
  event: [
    'create',
    'start',
    'restart',
    'die',
    'stop',
    'kill',
    'oom',
    'pause',
    'unpause',
    'rename',
    'update',
    'destroy',
    'connect',
    'disconnect',
    'remove',
    'delete',
    'untag',
    'tag',
    'load',
    'pull',
    'import',
    'prune',
  ],
};
/** An event is a line of a few hundred bytes; a longer one means the stream is not what we think. */
const MAX_LINE_BYTES = 64 * 1024;
const RETRY_MS = { first: 1_000, max: 30_000 };
/** How long an answer holds while the events say nothing changed (a silent break is covered). */
const WATCHED_REUSE_MS = 5 * 60_000;

export interface ChangeFeed {
  /** Equal marks mean the engine reported no change in between; undefined: not watching now. */
  mark(): number | undefined;
}

/**
 * Whether an answer read at `taken.at`, under `taken.mark`, still holds by the engine's events:
 * true or false when the engine was watched then and is now; undefined when it was not (the
 * caller decides by other means).
 */
export function unchangedSince(
  feed: ChangeFeed | undefined,
  taken: { readonly at: number; readonly mark: number | undefined },
): boolean | undefined {
  const mark = feed?.mark();
  if (mark === undefined || taken.mark === undefined) return undefined;
  return mark === taken.mark && Date.now() - taken.at <= WATCHED_REUSE_MS;
}

export class EngineEvents implements ChangeFeed {
  readonly #api: EngineApi;
  #generation = 0;
  #stream: IncomingMessage | undefined;
  #retryMs = RETRY_MS.first;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(api: EngineApi) {
    this.#api = api;
  }

  mark(): number | undefined {
    return this.#stream ? this.#generation : undefined;
  }

  /** Opens the stream (again after a break, with backoff); the process may exit meanwhile. */
  start(): void {
    if (this.#closed) return;
    this.#api
      .open({ path: '/events', query: { filters: JSON.stringify(WATCHED) }, idleMs: 0 })
      .then(
        (stream) => this.#watch(stream),
        () => this.#retry(),
      );
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#stream?.destroy();
    this.#stream = undefined;
  }

  #watch(stream: IncomingMessage): void {
    if (this.#closed) return void stream.destroy();
    stream.socket.unref();
    this.#stream = stream;
    this.#generation += 1; // whatever happened while it was down
    this.#retryMs = RETRY_MS.first;
    let pending = 0;
    stream.on('data', (chunk: Buffer) => {
      let newline = chunk.indexOf(10);
      // Each complete line is one event; a line that never ends is refused.
      while (newline >= 0) {
        this.#generation += 1;
        pending = 0;
        chunk = chunk.subarray(newline + 1);
        newline = chunk.indexOf(10);
      }
      pending += chunk.length;
      if (pending > MAX_LINE_BYTES) stream.destroy();
    });
    const broken = () => {
      if (this.#stream !== stream) return;
      this.#stream = undefined;
      this.#generation += 1;
      this.#retry();
    };
    stream.on('close', broken);
    stream.on('error', broken);
  }

  #retry(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => this.start(), this.#retryMs);
    this.#timer.unref();
    this.#retryMs = Math.min(this.#retryMs * 2, RETRY_MS.max);
  }
}
