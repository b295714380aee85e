// Tells the hub how this gateway fares: a state report after a pass whose outcome differs from
// the last one reported, a heartbeat otherwise. Reports wait in an on-disk queue while the hub is
// away; sending happens beside reconciliation and never holds it up (every request has a
// deadline, and nothing here is awaited by a pass).
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type {
  DeviceResources,
  HeartbeatReport,
  HubReport,
  ReportedDeployment,
  ReportedStatus,
  StateReport,
} from '#kernel/hub/hub-report.js';
import type { DeploymentStatus, PassReport } from './pass-report.js';
import { deviceIdentity, deviceResources } from './device-facts-report.js';
import { ReportQueue } from './report-queue.js';

export interface ReporterOptions {
  readonly url: string;
  readonly tokenFile: string;
  readonly intervalMs: number;
  readonly queueBytes: number;
  readonly device: string;
  readonly arch?: string;
  readonly stateDir: string;
  readonly logger: Logger;
  readonly fetch?: typeof fetch;
  /** How long one request to the hub may take. */
  readonly timeoutMs?: number;
}

/** What a pass came to, for the hub. */
export interface PassOutcome {
  readonly pass: PassReport;
  readonly labels: Readonly<Record<string, string>>;
  /** Last known good revision per deployment (the state file). */
  readonly applied: Readonly<Record<string, string | null>>;
}

const STATUS: Readonly<Record<DeploymentStatus, ReportedStatus | undefined>> = {
  unchanged: 'converged',
  updated: 'converged',
  'rolled-back': 'rolled-back',
  failed: 'failed',
  'waiting-window': 'waiting-window',
  'held-after-failure': 'held',
  removed: undefined,
};

/** A heartbeat: that the device is alive, and what it has left. */
export function heartbeatOf(
  device: string,
  seq: number,
  resources: DeviceResources,
  at: Date,
): HeartbeatReport {
  return { v: 1, kind: 'heartbeat', device, seq, sentAt: at.toISOString(), resources };
}

export class HubReporter {
  readonly #queue: ReportQueue;
  #lastState: string | undefined;
  #sentSince = false;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(private readonly options: ReporterOptions) {
    this.#queue = new ReportQueue(options.stateDir, options.queueBytes);
  }

  start(): void {
    this.#timer = setInterval(() => void this.#heartbeat(), this.options.intervalMs);
    this.#timer.unref();
    this.kick();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  /** Queues a state report when the outcome differs from the last one reported. */
  async afterPass(outcome: PassOutcome): Promise<void> {
    const report = await this.#stateReport(outcome);
    const { seq: _seq, sentAt: _at, resources: _r, ...meaning } = report;
    const key = JSON.stringify(meaning);
    if (key === this.#lastState) return;
    this.#lastState = key;
    await this.#queue.push({ ...report, seq: await this.#queue.nextSeq() });
    this.kick();
  }

  /** Starts sending what waits (after any send under way). */
  kick(): void {
    void this.flush();
  }

  /** Sends the queue in order, one send at a time; resolves when this round is done. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing
      .then(() => this.#drain())
      .catch((error: unknown) => {
        this.options.logger.warn({ event: 'report.failed', reason: String(error) }, 'report queue');
      });
    return this.#flushing;
  }

  /** Stops at the first report the hub does not take; it waits for the next round. */
  async #drain(): Promise<void> {
    for (const { name, report } of await this.#queue.pending()) {
      const status = await this.#send(report);
      if (status === undefined || status >= 500 || status === 401) return; // later
      if (status >= 400)
        this.options.logger.warn(
          { event: 'report.refused', status, seq: report.seq },
          'the hub refused a report',
        );
      await this.#queue.remove(name);
      this.#sentSince = true;
    }
  }

  async #heartbeat(): Promise<void> {
    if (this.#sentSince) {
      this.#sentSince = false;
      this.kick();
      return;
    }
    const report = heartbeatOf(
      this.options.device,
      await this.#queue.nextSeq(),
      await deviceResources(this.options.stateDir),
      new Date(),
    );
    await this.#send(report);
    this.kick();
  }

  /** The HTTP status, or undefined when the hub did not answer in time. */
  async #send(report: HubReport): Promise<number | undefined> {
    const token = (await readFile(this.options.tokenFile, 'utf8').catch(() => '')).trim();
    try {
      const response = await (this.options.fetch ?? fetch)(
        new URL('/api/v1/reports', this.options.url),
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify(report),
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
        },
      );
      // Only the status matters: the hub's body is not read (a hub cannot make us buffer it).
      await response.body?.cancel().catch(() => undefined);
      return response.status;
    } catch (error) {
      this.options.logger.debug(
        { event: 'report.unsent', reason: String(error) },
        'hub not reached',
      );
      return undefined;
    }
  }

  async #stateReport({ pass, labels, applied }: PassOutcome): Promise<StateReport> {
    const deployments: ReportedDeployment[] = pass.deployments.flatMap((d) => {
      const status = pass.rejected ? 'rejected' : STATUS[d.status];
      if (!status) return [];
      return [
        {
          name: d.name,
          desiredRevision: d.revision,
          appliedRevision: applied[d.name] ?? null,
          status,
          ...(d.reason ? { reason: d.reason.slice(0, 4096) } : {}),
          ...(d.code ? { code: d.code } : {}),
          ...(d.until ? { until: d.until } : {}),
          services: d.services.map((s) => ({ name: s.name, state: s.state })),
        },
      ];
    });
    return {
      v: 1,
      kind: 'state',
      device: this.options.device,
      seq: 0,
      sentAt: new Date().toISOString(),
      resources: await deviceResources(this.options.stateDir),
      identity: deviceIdentity(this.options.arch),
      labels,
      revision: pass.revision,
      converged: pass.converged,
      deployments,
      failures: (pass.failures ?? []).map((f) => ({
        code: f.code,
        message: f.message.slice(0, 4096),
      })),
      bytesDownloaded: pass.bytesDownloaded,
    };
  }
}
