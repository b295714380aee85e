// ferryd's local HTTP API: GET /healthz, GET /status, GET /metrics, POST /sync, POST /retry.
// Loopback only
// unless a token file is configured (the kernel's token server enforces both).
import { startTokenServer, type RunningServer } from '#kernel/http/token-server.js';
import type { DaemonMetrics } from './daemon-metrics.js';
import { renderMetrics, type DaemonStatus } from './daemon-status.js';

export interface ApiHandlers {
  status(): DaemonStatus;
  syncNow(): void;
  /** Tries a held failed revision again now: of one deployment, or of all. */
  retry(deployment: string | undefined): void;
  readonly metrics: DaemonMetrics;
}

export class ApiServer {
  #server: RunningServer | undefined;

  constructor(
    private readonly handlers: ApiHandlers,
    private readonly token?: string,
  ) {}

  async start(listen: string): Promise<{ host: string; port: number }> {
    const { handlers } = this;
    this.#server = await startTokenServer({
      listen,
      token: this.token,
      settings: { listen: 'api.listen', tokenFile: 'api.tokenFile' },
      // Liveness probes carry no token; /healthz says only that ferryd answers.
      openRoutes: ['GET /healthz'],
      routes: (route, request) => {
        if (route === 'GET /healthz') return { status: 200, json: { ok: true } };
        if (route === 'GET /status') return { status: 200, json: handlers.status() };
        if (route === 'GET /metrics')
          return (async () => ({
            status: 200,
            text: renderMetrics(handlers.status()) + (await handlers.metrics.registry.metrics()),
            contentType: 'text/plain; version=0.0.4',
          }))();
        if (route === 'POST /retry') {
          const deployment = new URL(request.url ?? '/', 'http://ferryd').searchParams.get(
            'deployment',
          );
          if (deployment !== null && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(deployment))
            return { status: 400, json: { error: 'deployment must be a deployment name' } };
          handlers.retry(deployment ?? undefined);
          return { status: 202, json: { retrying: deployment ?? 'all' } };
        }
        if (route !== 'POST /sync') return undefined;
        handlers.syncNow();
        return { status: 202, json: { syncing: true } };
      },
    });
    return { host: this.#server.host, port: this.#server.port };
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    await server?.stop();
  }
}
