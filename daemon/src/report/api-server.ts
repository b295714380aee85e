// ferryd's local HTTP API: GET /healthz, GET /status, GET /metrics, POST /sync. Loopback only
// unless a token file is configured (then every request needs `Authorization: Bearer <token>`).
import { createServer, type Server } from 'node:http';
import { parseListen } from '#kernel/listen-address.js';
import { FerryError } from '#kernel/errors.js';
import { renderMetrics, type DaemonStatus } from './daemon-status.js';

export interface ApiHandlers {
  status(): DaemonStatus;
  syncNow(): void;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

export class ApiServer {
  #server: Server | undefined;

  constructor(
    private readonly handlers: ApiHandlers,
    private readonly token?: string,
  ) {}

  async start(listen: string): Promise<{ host: string; port: number }> {
    const { host, port } = parseListen(listen);
    if (!isLoopback(host) && !this.token) {
      throw new FerryError(
        'FERRY_CONFIG',
        `api.listen ${listen} is not loopback: set api.tokenFile to expose the API`,
      );
    }
    const server = createServer((req, res) => {
      if (this.token && req.headers.authorization !== `Bearer ${this.token}`) {
        res.writeHead(401).end();
        return;
      }
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const json = (code: number, body: unknown): void => {
        res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      const route = `${req.method} ${path}`;
      if (route === 'GET /healthz') json(200, { ok: true });
      else if (route === 'GET /status') json(200, this.handlers.status());
      else if (route === 'GET /metrics') {
        res
          .writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
          .end(renderMetrics(this.handlers.status()));
      } else if (route === 'POST /sync') {
        this.handlers.syncNow();
        json(202, { syncing: true });
      } else json(404, { error: `no route ${route}` });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.#server = server;
    const address = server.address();
    return { host, port: typeof address === 'object' && address ? address.port : port };
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
