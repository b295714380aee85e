// `ferry builder --config FILE`: watches fleet repositories (poll, and a webhook that says "look
// now"), builds each new commit, pins and pushes the pins. Each repository backs off on its own
// through registry and git outages (the poll interval doubled per failure, capped at 5 minutes).
import { readFile } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import { nextPollDelay } from '#kernel/poll-delay.js';
import { startTokenServer, type Reply, type RunningServer } from '#kernel/http/token-server.js';
import type { BuilderConfig } from './builder-config.js';
import { RepositoryWorker } from './repository-worker.js';

export class BuilderService {
  readonly workers: readonly RepositoryWorker[];
  #server: RunningServer | undefined;
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
    const token = webhook.tokenFile
      ? (await readFile(webhook.tokenFile, 'utf8')).trim()
      : undefined;
    this.#server = await startTokenServer({
      listen: webhook.listen,
      token,
      settings: { listen: 'webhook.listen', tokenFile: 'webhook.tokenFile' },
      routes: (route) => this.#route(route),
    });
    this.logger.info({ event: 'builder.listening', listen: webhook.listen }, 'webhook listening');
  }

  #route(route: string): Reply | undefined {
    if (route === 'GET /healthz') return { status: 200, json: { ok: true } };
    if (route === 'GET /status') return { status: 200, json: this.workers.map((w) => w.status) };
    const hook = /^POST \/hooks(?:\/([a-z0-9-]+))?$/.exec(route);
    if (!hook) return undefined;
    const found = this.wake(hook[1]);
    this.logger.info({ event: 'builder.webhook', repo: hook[1] ?? '*', found }, 'webhook');
    return found
      ? { status: 202, json: { polling: hook[1] ?? 'all' } }
      : { status: 404, json: { error: 'no such repository' } };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const wake of this.#wakers.values()) wake();
    await this.#server?.stop();
  }
}
