// `ferry builder --config FILE`: watches fleet repositories (poll, and a webhook that says "look
// now"), builds each new commit, pins and pushes the pins. Each repository backs off on its own
// through registry and git outages (the poll interval doubled per failure, capped at 5 minutes).
import { readFile } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import { nextPollDelay } from '#kernel/poll-delay.js';
import { parseListen } from '#kernel/listen-address.js';
import { FerryError } from '#kernel/errors.js';
import type { BuilderConfig } from './builder-config.js';
import { RepositoryWorker } from './repository-worker.js';

export class BuilderService {
  readonly workers: readonly RepositoryWorker[];
  #server: Server | undefined;
  #stopped = false;
  readonly #wakers = new Map<string, () => void>();

  constructor(
    private readonly config: BuilderConfig,
    private readonly logger: Logger,
  ) {
    this.workers = config.repositories.map((r) => new RepositoryWorker(r, config.workDir, logger));
  }

  /** Wakes one repository's loop (or all) for an immediate poll. */
  wake(name?: string): boolean {
    const targets = name ? [name] : [...this.#wakers.keys()];
    let woke = false;
    for (const target of targets) {
      const wake = this.#wakers.get(target);
      if (wake) {
        wake();
        woke = true;
      }
    }
    return woke || (name !== undefined && this.workers.some((w) => w.repo.name === name));
  }

  async #loop(worker: RepositoryWorker): Promise<void> {
    while (!this.#stopped) {
      await worker.poll();
      const delay = nextPollDelay(
        this.config.intervalMs,
        worker.status.consecutiveFailures,
        Math.random(),
      );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.#wakers.set(worker.repo.name, () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async start(): Promise<void> {
    await mkdir(this.config.workDir, { recursive: true });
    if (this.config.webhook) await this.#listen(this.config.webhook);
    for (const worker of this.workers) void this.#loop(worker);
  }

  async #listen(webhook: NonNullable<BuilderConfig['webhook']>): Promise<void> {
    const { host, port } = parseListen(webhook.listen);
    const token = webhook.tokenFile
      ? (await readFile(webhook.tokenFile, 'utf8')).trim()
      : undefined;
    if (!token && !['127.0.0.1', 'localhost', '::1'].includes(host))
      throw new FerryError(
        'FERRY_CONFIG',
        `webhook.listen ${webhook.listen} is not loopback: set webhook.tokenFile`,
      );
    this.#server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const json = (code: number, body: unknown) =>
        res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      req.resume();
      if (token && req.headers.authorization !== `Bearer ${token}`)
        return json(401, { error: 'token required' });
      if (req.method === 'GET' && path === '/healthz') return json(200, { ok: true });
      if (req.method === 'GET' && path === '/status')
        return json(
          200,
          this.workers.map((w) => w.status),
        );
      const hook = /^\/hooks\/([a-z0-9-]+)$/.exec(path);
      if (req.method === 'POST' && (path === '/hooks' || hook)) {
        const found = this.wake(hook?.[1]);
        this.logger.info({ event: 'builder.webhook', repo: hook?.[1] ?? '*', found }, 'webhook');
        return json(
          found ? 202 : 404,
          found ? { polling: hook?.[1] ?? 'all' } : { error: 'no such repository' },
        );
      }
      return json(404, { error: `no route ${req.method} ${path}` });
    });
    await new Promise<void>((resolve, reject) => {
      this.#server!.once('error', reject);
      this.#server!.listen(port, host, resolve);
    });
    this.logger.info({ event: 'builder.listening', listen: webhook.listen }, 'webhook listening');
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const wake of this.#wakers.values()) wake();
    await new Promise<void>((resolve) =>
      this.#server ? this.#server.close(() => resolve()) : resolve(),
    );
  }
}
