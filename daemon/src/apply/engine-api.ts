// The Docker Engine API over its unix socket, as ferryd asks it: JSON in, JSON out, every answer
// bounded in size and in time.
//
// Why not dockerode here (the builder keeps it): requiring dockerode loads ssh2, whose poly1305
// allocates a 16 MiB asm.js heap, and gRPC with protobufjs for BuildKit sessions. ferryd opens
// neither an SSH connection nor a build session, yet paid 25 MiB of a 512 MB gateway's memory for
// them (bench/footprint.ts; heap snapshot in docs/ferryd.md). dockerode also reads answers without
// a size bound. The requests ferryd makes are a dozen plain HTTP calls; node:http carries them.
import { Agent, request, type IncomingMessage } from 'node:http';
import { readBody } from '#kernel/http/read-body.js';

/** The largest answer read whole (a full image listing of a busy engine is a few MiB). */
const MAX_ANSWER_BYTES = 32 * 1024 * 1024;
/** An engine silent this long on a question is given up on. */
const READ_IDLE_MS = 60_000;

/** The engine answered with an error status; `statusCode` says which (404, 409...). */
export class EngineApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'EngineApiError';
  }
}

/** Whether the engine answered with one of `statuses` (304 "not modified", 404 "no such"). */
export function isStatus(error: unknown, ...statuses: number[]): boolean {
  return error instanceof EngineApiError && statuses.includes(error.statusCode);
}

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

export interface EngineCall {
  readonly method?: 'GET' | 'POST' | 'DELETE';
  /** The API path, e.g. `/containers/json`; query values are encoded here. */
  readonly path: string;
  readonly query?: Query;
  /** A JSON body. */
  readonly body?: unknown;
  /** A raw body (an image tarball). */
  readonly upload?: NodeJS.ReadableStream;
  /** How long the engine may stay silent (a stop waits out the container's grace period; 0: no
   * limit, for the event stream, which is silent while nothing happens). */
  readonly idleMs?: number;
}

export class EngineApi {
  readonly #socketPath: string;
  // Connections are kept for a pass's burst of questions, and let go between polls.
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 8, timeout: 5_000 });

  constructor(socketPath: string) {
    this.#socketPath = socketPath;
  }

  /** The answer's JSON (undefined for an empty answer); an error status rejects. */
  async json<T>(call: EngineCall): Promise<T> {
    const body = await readBody(await this.open(call), MAX_ANSWER_BYTES);
    return (body.length === 0 ? undefined : JSON.parse(body.toString('utf8'))) as T;
  }

  /** Asks and reads the answer (bounded) without keeping it. */
  async send(call: EngineCall): Promise<void> {
    await readBody(await this.open(call), MAX_ANSWER_BYTES);
  }

  /** The answer as a stream (logs, image loads); the caller reads it bounded. */
  open(call: EngineCall): Promise<IncomingMessage> {
    const payload = call.body === undefined ? undefined : Buffer.from(JSON.stringify(call.body));
    const headers: Record<string, string | number> = payload
      ? { 'Content-Type': 'application/json', 'Content-Length': payload.length }
      : call.upload
        ? { 'Content-Type': 'application/x-tar' }
        : {};
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: this.#socketPath,
          agent: this.#agent,
          method: call.method ?? 'GET',
          path: pathWithQuery(call.path, call.query),
          headers,
        },
        (response) => {
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve(response);
          void errorOf(response, status).then(reject, reject);
        },
      );
      req.setTimeout(call.idleMs ?? READ_IDLE_MS, () =>
        req.destroy(new Error(`the Docker engine did not answer ${call.path} in time`)),
      );
      req.on('error', reject);
      if (call.upload) {
        call.upload.on('error', (error: Error) => req.destroy(error));
        call.upload.pipe(req);
      } else req.end(payload);
    });
  }
}

export function pathWithQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query))
    if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** The engine's own words for an error status (`{"message": ...}`), bounded. */
async function errorOf(response: IncomingMessage, status: number): Promise<EngineApiError> {
  const body = await readBody(response, 64 * 1024).catch(() => Buffer.alloc(0));
  let message = body.toString('utf8').trim();
  try {
    message = String((JSON.parse(message) as { message?: unknown }).message ?? message);
  } catch {
    // Not JSON: the text is the message.
  }
  return new EngineApiError(status, message || `HTTP ${status}`);
}
