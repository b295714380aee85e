// `ferry builder --config FILE`: watches fleet repositories (poll, and a webhook that says "look
// now"), builds each new commit, pins and pushes the pins. Each repository backs off on its own
// through registry and git outages (the poll interval doubled per failure, capped at 5 minutes).
import { readFile } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import { nextPollDelay } from '#kernel/poll-delay.js';
import type { IncomingMessage } from 'node:http';
import { FerryError } from '#kernel/errors.js';
import { readBody } from '#kernel/http/read-body.js';
import {
  isLoopback,
  startTokenServer,
  tokenMatches,
  type Reply,
  type RunningServer,
} from '#kernel/http/token-server.js';
import { parseListen } from '#kernel/listen-address.js';
import type { BuilderConfig } from './builder-config.js';
import { RepositoryWorker } from './repository-worker.js';
import { webhookAuthorised } from './webhook-auth.js';

/** A push event's body is read only to check its signature; a larger one is refused. */
const MAX_HOOK_BYTES = 1024 * 1024;

export class BuilderService {
  readonly workers: readonly RepositoryWorker[];
  #server: RunningServer | undefined;
  #stopped = false;
  readonly #wakers = new Map<string, () => void>();
  /** Repositories woken while they were polling: they poll again as soon as that poll ends. */
  readonly #wokenWhileBusy = new Set<string>();

  constructor(
    private readonly config: BuilderConfig,
    private readonly logger: Logger,
  ) {
    this.workers = config.repositories.map((r) => new RepositoryWorker(r, config.workDir, logger));
  }

  /**
   * Wakes one repository's loop (or all) for an immediate poll; one that is polling (or building)
   * now polls again when it is done, so a push during a build is not left to the next interval.
   */
  wake(name?: string): boolean {
    const targets = this.workers
      .map((w) => w.repo.name)
      .filter((repo) => name === undefined || repo === name);
    for (const target of targets) {
      this.#wokenWhileBusy.add(target);
      this.#wakers.get(target)?.();
    }
    return targets.length > 0;
  }

  async #loop(worker: RepositoryWorker): Promise<void> {
    const name = worker.repo.name;
    while (!this.#stopped) {
      this.#wokenWhileBusy.delete(name);
      this.#wakers.delete(name);
      const again = await worker.poll();
      if (this.#stopped) break;
      const delay =
        again || this.#wokenWhileBusy.has(name)
          ? 0
          : nextPollDelay(this.config.intervalMs, worker.status.consecutiveFailures, Math.random());
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.#wakers.set(name, () => {
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
    const { host } = parseListen(webhook.listen);
    if (!isLoopback(host) && !token)
      throw new FerryError(
        'FERRY_CONFIG',
        `webhook.listen ${webhook.listen} is not loopback: set webhook.tokenFile to expose it`,
      );
    this.#server = await startTokenServer({
      listen: webhook.listen,
      token: undefined,
      // Each route checks the secret itself: Git hosts send it in their own headers.
      perRouteAuth: true,
      settings: { listen: 'webhook.listen', tokenFile: 'webhook.tokenFile' },
      routes: (route, request) => this.#route(route, request, token),
    });
    this.logger.info({ event: 'builder.listening', listen: webhook.listen }, 'webhook listening');
  }

  async #route(
    route: string,
    request: IncomingMessage,
    token: string | undefined,
  ): Promise<Reply | undefined> {
    if (route === 'GET /healthz') return { status: 200, json: { ok: true } };
    const unauthorised = { status: 401, json: { error: 'the webhook secret is required' } };
    if (route === 'GET /status')
      return token && !tokenMatches(request.headers.authorization, token)
        ? unauthorised
        : { status: 200, json: this.workers.map((w) => w.status) };
    const hook = /^POST \/hooks(?:\/([a-z0-9-]+))?$/.exec(route);
    if (!hook) return undefined;
    const body = await readBody(request, MAX_HOOK_BYTES).catch(() => undefined);
    if (!body)
      return { status: 413, json: { error: `a webhook body is at most ${MAX_HOOK_BYTES} bytes` } };
    if (token && !webhookAuthorised(request.headers, body, token)) return unauthorised;
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
