// `ferryd run`: reconcile passes on an interval (with jitter, and exponential backoff on errors),
// the local API, and live reload of ferryd.yaml.
import { readFile } from 'node:fs/promises';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from 'pino';
import type { SchemaValidator } from '#kernel/validate.js';
import { loadDaemonConfig, type DaemonConfig } from '../config/daemon-config.js';
import { ApiServer } from '../report/api-server.js';
import { DaemonMetrics } from '../report/daemon-metrics.js';
import type { DaemonStatus } from '../report/daemon-status.js';
import { FERRY_VERSION } from '#kernel/version.js';
import { createPassContext } from './agent-context.js';
import type { PassReport } from '../report/pass-report.js';
import { nextPollDelay } from '#kernel/poll-delay.js';
import { reconcilePass, type PassContext } from './reconcile-pass.js';
import type { HubReporter } from '../report/hub-reporter.js';
import { hubReporter, passOutcome } from './hub-link.js';

export class Daemon {
  #config: DaemonConfig;
  #status: DaemonStatus;
  #api: ApiServer | undefined;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  /** POST /sync (or a config reload) arrived since the current pass began. */
  #syncRequested = false;
  #stopped = false;
  #failures = 0;
  #loop: Promise<void> | undefined;
  /** The ports passes work through: wired once, and again when ferryd.yaml is reloaded. */
  #context: PassContext;
  #reporter: HubReporter | undefined;
  readonly #metrics: DaemonMetrics;
  /** Deployments whose held failed revision the next pass tries again (POST /retry). */
  #retry: Set<string> | 'all' | undefined;

  constructor(
    config: DaemonConfig,
    private readonly validator: SchemaValidator,
    private readonly logger: Logger,
    /** The jitter of the poll interval (a port, so tests can pin it). */
    private readonly random: () => number = Math.random,
  ) {
    this.#config = config;
    this.#metrics = new DaemonMetrics(config.device.id);
    this.#context = this.#wire(config);
    this.#status = {
      device: config.device.id,
      version: FERRY_VERSION,
      appliedRevision: null,
      syncErrors: 0,
      passes: 0,
      bytesDownloaded: 0,
      containers: {},
    };
  }

  get status(): DaemonStatus {
    return this.#status;
  }

  async start(): Promise<{ host: string; port: number }> {
    const token = this.#config.api.tokenFile
      ? (await readFile(this.#config.api.tokenFile, 'utf8')).trim()
      : undefined;
    this.#api = new ApiServer(
      {
        status: () => this.#status,
        syncNow: () => this.syncNow(),
        retry: (deployment) => this.retry(deployment),
        metrics: this.#metrics,
      },
      token,
    );
    const address = await this.#api.start(this.#config.api.listen);
    this.#watcher = watch(this.#config.file, {
      ignoreInitial: true,
      awaitWriteFinish: { stabilityThreshold: 200, pollInterval: 50 },
    });
    this.#watcher.on('all', () => void this.#reloadConfig());
    this.logger.info(
      {
        event: 'daemon.started',
        version: FERRY_VERSION,
        device: this.#config.device.id,
        api: address,
        source: this.#config.source.url,
      },
      'ferryd started',
    );
    this.#reporter = hubReporter(this.#config, this.logger, this.#context.engine);
    this.#reporter?.start();
    this.#loop = this.#run();
    return address;
  }

  /**
   * Tries a held failed revision again at the next pass, which starts now (POST /retry): of one
   * deployment, or of all. The state file is changed between passes, never during one.
   */
  retry(deployment: string | undefined): void {
    this.#retry =
      deployment === undefined || this.#retry === 'all'
        ? 'all'
        : new Set([...(this.#retry ?? []), deployment]);
    this.syncNow();
  }

  /** Runs a pass now (POST /sync), or as soon as the current one ends. */
  syncNow(): void {
    this.#syncRequested = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#wake?.();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.syncNow();
    await this.#watcher?.close();
    await this.#api?.stop();
    await this.#loop;
    this.#reporter?.stop();
    this.#context.close?.();
    this.logger.info({ event: 'daemon.stopped' }, 'ferryd stopped');
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      this.#syncRequested = false;
      const report = await this.#pass();
      const planned = this.#nextDelay(report);
      // A sync asked for during the pass, or a branch that moved under it, runs now.
      const delay = this.#syncRequested || report?.superseded ? 0 : planned;
      this.#status = {
        ...this.#status,
        nextPassAt: new Date(this.#context.clock.now() + delay).toISOString(),
      };
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#timer = setTimeout(resolve, delay);
      });
    }
  }

  #wire(config: DaemonConfig): PassContext {
    return createPassContext(
      config,
      this.validator,
      this.logger,
      (download) => {
        this.#status = { ...this.#status, download };
      },
      (gate) => {
        const { gate: _done, ...rest } = this.#status;
        this.#status = gate ? { ...rest, gate } : rest;
      },
      { watchEngine: true },
    );
  }

  async #pass(): Promise<PassReport | undefined> {
    const context = this.#context;
    try {
      if (this.#retry) await this.#forgetFailures(context);
      const report = await reconcilePass(context);
      this.#metrics.afterPass(report);
      const snapshot = await context.engine
        .snapshot(this.#config.device.id, { reuse: true })
        .catch(() => undefined);
      const containers: Record<string, number> = {};
      for (const c of snapshot?.containers ?? [])
        containers[c.state] = (containers[c.state] ?? 0) + 1;
      const failed = report.errors.length > 0;
      const { download: _done, ...rest } = this.#status;
      this.#status = {
        ...rest,
        appliedRevision: report.converged ? report.revision : this.#status.appliedRevision,
        lastPass: report,
        lastSyncAt: report.finishedAt,
        syncErrors: this.#status.syncErrors + (failed ? 1 : 0),
        passes: this.#status.passes + 1,
        bytesDownloaded: this.#status.bytesDownloaded + report.bytesDownloaded,
        containers,
      };
      // The hub hears of it beside the next pass, never before it.
      if (this.#reporter)
        void passOutcome(context, report)
          .then((outcome) => this.#reporter?.afterPass(outcome))
          .catch((error: unknown) =>
            this.logger.warn(
              { event: 'report.failed', reason: String(error) },
              'report not queued',
            ),
          );
      // A pass that changed nothing is a debug line: a gateway polling every 30 s for years
      // would otherwise log 2,880 identical lines a day.
      const quiet =
        report.converged &&
        report.errors.length === 0 &&
        report.deployments.every((d) => d.status === 'unchanged');
      this.logger[quiet ? 'debug' : 'info'](
        {
          event: 'pass.finished',
          revision: report.revision,
          converged: report.converged,
          errors: report.errors,
        },
        'reconcile pass finished',
      );
      return report;
    } catch (error) {
      this.#status = {
        ...this.#status,
        syncErrors: this.#status.syncErrors + 1,
        passes: this.#status.passes + 1,
      };
      this.logger.error({ event: 'pass.crashed', err: error }, 'reconcile pass failed');
      return undefined;
    }
  }

  /** Drops the failed-revision records a retry asked for, so the pass tries them again. */
  async #forgetFailures(context: PassContext): Promise<void> {
    const wanted = this.#retry;
    this.#retry = undefined;
    const state = await context.stateFile.read();
    const deployments = Object.fromEntries(
      Object.entries(state.deployments).map(([name, record]) => {
        if (wanted !== 'all' && !wanted?.has(name)) return [name, record];
        const { failed: _failed, ...rest } = record;
        return [name, rest];
      }),
    );
    await context.stateFile.write({ ...state, deployments });
    this.logger.info(
      { event: 'deployment.retry', deployments: wanted === 'all' ? 'all' : [...(wanted ?? [])] },
      'retrying held revisions',
    );
  }

  #nextDelay(report: PassReport | undefined): number {
    // Back off while the source (or the pass itself) fails; a rejected commit is not a failure
    // of the source, and polling on at the normal pace is how its fix arrives.
    const sourceFailed =
      !report || (report.errors.length > 0 && report.deployments.length === 0 && !report.rejected);
    this.#failures = sourceFailed ? this.#failures + 1 : 0;
    return nextPollDelay(this.#config.source.intervalMs, this.#failures, this.random());
  }

  async #reloadConfig(): Promise<void> {
    try {
      const config = await loadDaemonConfig(
        this.#config.file,
        this.validator,
        this.#config.device.id,
      );
      if (config.api.listen !== this.#config.api.listen)
        this.logger.warn(
          { event: 'config.restart_needed', field: 'api.listen' },
          'api.listen changes need a restart',
        );
      this.#config = { ...config, api: this.#config.api };
      this.logger.level = config.log.level;
      // Device facts may have changed: the resolved revision is forgotten with the old wiring.
      this.#context.close?.();
      this.#context = this.#wire(this.#config);
      // A new reporter, on the new wiring's engine (the old one is closed, and engine.socket may
      // have changed); the queue on disk (and its sequence) stays, and the new reporter takes it.
      this.#reporter?.stop();
      this.#reporter = hubReporter(this.#config, this.logger, this.#context.engine);
      this.#reporter?.start();
      this.#status = { ...this.#status, device: config.device.id };
      this.logger.info({ event: 'config.reloaded', file: config.file }, 'configuration reloaded');
      this.syncNow();
    } catch (error) {
      this.logger.error(
        {
          event: 'config.rejected',
          file: this.#config.file,
          reason: error instanceof Error ? error.message : String(error),
        },
        'new configuration rejected; keeping the old one',
      );
    }
  }
}
