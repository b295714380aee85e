// The small HTTP server both programs expose (ferryd's local API, the builder's webhook): JSON
// routes, loopback only unless a bearer token is configured, and then every request needs it.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { FerryError } from '../errors.js';
import { parseListen } from '../listen-address.js';

/** What a route answers: JSON by default, or text with its content type; headers to add. */
export type Reply = (
  | { readonly status: number; readonly json: unknown }
  | { readonly status: number; readonly text: string; readonly contentType: string }
) & { readonly headers?: Readonly<Record<string, string>> };

/** Answers `METHOD /path` (query string removed), or undefined for a 404. */
export type Routes = (
  route: string,
  request: IncomingMessage,
) => Reply | undefined | Promise<Reply | undefined>;

export interface TokenServerOptions {
  /** `HOST:PORT`; port 0 picks a free one. */
  readonly listen: string;
  readonly token: string | undefined;
  /**
   * Every route checks its own credentials (the hub: device and operator tokens), so any address
   * may be listened on without `token`.
   */
  readonly perRouteAuth?: boolean;
  /** Routes answered without the token (a liveness probe): they must say nothing secret. */
  readonly openRoutes?: readonly string[];
  /** The settings named in the refusal of a non-loopback address without a token. */
  readonly settings: { readonly listen: string; readonly tokenFile: string };
  readonly routes: Routes;
}

export interface RunningServer {
  readonly host: string;
  readonly port: number;
  stop(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** Compares in constant time, so the token cannot be guessed byte by byte from timings. */
export function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header ?? '');
  const wanted = Buffer.from(`Bearer ${token}`);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

export async function startTokenServer(options: TokenServerOptions): Promise<RunningServer> {
  const { host, port } = parseListen(options.listen);
  const { token, settings } = options;
  if (!isLoopback(host) && !token && !options.perRouteAuth)
    throw new FerryError(
      'FERRY_CONFIG',
      `${settings.listen} ${options.listen} is not loopback: set ${settings.tokenFile} to expose it`,
    );
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const route = `${request.method} ${path}`;
    const answer = async (): Promise<Reply> => {
      const open = options.openRoutes?.includes(route) ?? false;
      if (token && !open && !tokenMatches(request.headers.authorization, token))
        return { status: 401, json: { error: 'token required' } };
      return (
        (await options.routes(route, request)) ?? {
          status: 404,
          json: { error: `no route ${route}` },
        }
      );
    };
    void answer()
      .catch((error: unknown) => ({
        status: 500,
        json: { error: error instanceof Error ? error.message : String(error) },
      }))
      .then((reply: Reply) => {
        // A body no route read is drained, so the connection can be reused.
        request.resume();
        const headers = reply.headers ?? {};
        if ('json' in reply)
          response
            .writeHead(reply.status, { ...headers, 'content-type': 'application/json' })
            .end(JSON.stringify(reply.json));
        else
          response
            .writeHead(reply.status, { ...headers, 'content-type': reply.contentType })
            .end(reply.text);
      });
  });
  // A client that sends its request slowly is cut off (the hub faces whole fleets).
  server.requestTimeout = 30_000;
  server.headersTimeout = 15_000;
  await listenOn(server, port, host, options);
  const address = server.address();
  return {
    host,
    port: typeof address === 'object' && address ? address.port : port,
    stop: () => close(server),
  };
}

/** Listens, or says which setting names an address that is taken or not this host's. */
function listenOn(server: Server, port: number, host: string, options: TokenServerOptions) {
  const setting = options.settings.listen;
  return new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const why =
        error.code === 'EADDRINUSE'
          ? 'the address is in use (another process listens there)'
          : error.code === 'EADDRNOTAVAIL'
            ? 'no interface of this host has that address'
            : error.message;
      reject(
        new FerryError(
          'FERRY_LISTEN',
          `${setting} ${options.listen}: ${why}`,
          { listen: options.listen, setting },
          { cause: error },
        ),
      );
    });
    server.listen(port, host, () => resolve());
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
