// Tells the hub how this gateway fares: a state report after a pass whose outcome differs from
// the last one reported, a heartbeat otherwise. Reports wait in an on-disk queue while the hub is
// away; sending happens beside reconciliation and never holds it up (every request has a
// deadline, and nothing here is awaited by a pass).
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
import { deviceIdentity, deviceResources, type EngineFacts } from './device-facts-report.js';
import { deviceToken, postJson, type HubCall } from './hub-http.js';
import { operationsIn, type HubOperation, type OperationResult } from './remote-operations.js';
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
  /** The engine's version and data root (its disk, seen from ferryd), asked once. */
  readonly engineFacts?: () => Promise<EngineFacts>;
  /** Enrolls with this secret when tokenFile holds no token yet. */
  readonly enrollmentSecretFile?: string;
  /** Runs the operations that come with the hub's answers. */
  readonly runner?: { take(operations: readonly HubOperation[]): Promise<void> };
}

/** Failure logs in one state report at most (a report must stay under the hub's 256 KiB). */
const FAILURE_LOGS_CHARS = 128 * 1024;

/** What a pass came to, for the hub. */
export interface PassOutcome {
  readonly pass: PassReport;
  readonly labels: Readonly<Record<string, string>>;
  /** Last known good revision per deployment (the state file). */
  readonly applied: Readonly<Record<string, string | null>>;
  /** Whether the fleet has a devices/<id>.yaml for this device (unknown before a fleet loads). */
  readonly listed?: boolean;
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
  /** A heartbeat is queued or being sent. */
  #beating = false;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #engineFacts: EngineFacts | undefined;

  readonly #call: HubCall;

  constructor(private readonly options: ReporterOptions) {
    this.#queue = new ReportQueue(options.stateDir, options.queueBytes);
    this.#call = {
      url: options.url,
      timeoutMs: options.timeoutMs ?? 10_000,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    };
  }

  start(): void {
    this.#timer = setInterval(() => this.#heartbeat(), this.options.intervalMs);
    this.#timer.unref();
    this.kick();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  /** Queues a state report when the outcome differs from the last one reported. */
  async afterPass(outcome: PassOutcome): Promise<void> {
    const report = await this.#stateReport(outcome);
    // What differs from pass to pass without anything having happened is not a change.
    const { seq: _seq, sentAt: _at, resources: _r, timings: _t, ...meaning } = report;
    const key = JSON.stringify(meaning);
    if (key === this.#lastState) return;
    this.#lastState = key;
    await this.#inTurn(async () =>
      this.#queue.push({ ...report, seq: await this.#queue.nextSeq() }),
    );
    this.kick();
  }

  /** Starts sending what waits (after any send under way). */
  kick(): void {
    void this.flush();
  }

  /** Sends the queue in order, one send at a time; resolves when this round is done. */
  flush(): Promise<void> {
    return this.#inTurn(() => this.#drain());
  }

  /**
   * Runs `task` after every task handed in before it. Sequence numbers are taken and reports
   * sent in this one order: the hub keeps a state report only when its seq is above the last it
   * has, so a heartbeat numbered before a state report but sent after it would have made the hub
   * drop that report as a duplicate (a loaded gateway's state was lost that way until its next
   * change).
   */
  #inTurn(task: () => Promise<void>): Promise<void> {
    this.#flushing = this.#flushing.then(task).catch((error: unknown) => {
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

  /**
   * A sign of life, unless a report went since the last one or reports wait to go. One waits at a
   * time: with a hub that answers slower than the interval, beats are skipped, not piled up.
   */
  #heartbeat(): void {
    if (this.#beating) return;
    this.#beating = true;
    void this.#inTurn(async () => {
      const sentSince = this.#sentSince;
      this.#sentSince = false;
      if (sentSince || (await this.#queue.waiting())) return this.#drain();
      const resources = await deviceResources(
        this.options.stateDir,
        (await this.#engine())?.dataRoot,
      );
      const report = heartbeatOf(
        this.options.device,
        await this.#queue.nextSeq(),
        resources,
        new Date(),
      );
      await this.#send(report);
    }).finally(() => (this.#beating = false));
  }

  /** The HTTP status, or undefined when the hub did not answer in time. */
  async #send(report: HubReport): Promise<number | undefined> {
    try {
      const token = await deviceToken(this.#call, { ...this.options });
      const { status, answer } = await postJson(this.#call, '/api/v1/reports', token, report);
      // Operations an operator asked for come with the answer; they run beside, not in, the send.
      if (status === 200) void this.options.runner?.take(operationsIn(answer));
      return status;
    } catch (error) {
      this.options.logger.debug(
        { event: 'report.unsent', reason: String(error) },
        'hub not reached',
      );
      return undefined;
    }
  }

  /** Sends an operation's result; true once the hub has it (or no longer wants it). */
  async answer(id: number, result: OperationResult): Promise<boolean> {
    const token = await deviceToken(this.#call, { ...this.options });
    const { status } = await postJson(this.#call, `/api/v1/operations/${id}/result`, token, result);
    return status === 200 || status === 404;
  }

  /** Asked of the engine once; a failed ask is tried again with the next report. */
  async #engine(): Promise<EngineFacts | undefined> {
    if (this.#engineFacts) return this.#engineFacts;
    this.#engineFacts = await this.options.engineFacts?.().catch(() => undefined);
    return this.#engineFacts;
  }

  async #stateReport({ pass, labels, applied, listed }: PassOutcome): Promise<StateReport> {
    const engine = await this.#engine();
    let logChars = 0;
    const deployments: ReportedDeployment[] = pass.deployments.flatMap((d) => {
      // Held after a failure, the deployment still stands where that failure left it.
      const status = pass.rejected ? 'rejected' : (d.failedAs ?? STATUS[d.status]);
      if (!status) return [];
      const logSize = d.failureLog ? JSON.stringify(d.failureLog).length : 0;
      const log =
        d.failureLog && logChars + logSize <= FAILURE_LOGS_CHARS ? d.failureLog : undefined;
      if (log) logChars += logSize;
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
          ...(d.rollout ? { rollout: d.rollout } : {}),
          // Sent with the failure, not again with every held pass after it.
          ...(log && d.status !== 'held-after-failure' ? { failureLog: log } : {}),
        },
      ];
    });
    return {
      v: 1,
      kind: 'state',
      device: this.options.device,
      seq: 0,
      sentAt: new Date().toISOString(),
      resources: await deviceResources(this.options.stateDir, engine?.dataRoot),
      identity: deviceIdentity(this.options.arch, engine?.version),
      labels,
      ...(listed === undefined ? {} : { listed }),
      revision: pass.revision,
      converged: pass.converged,
      deployments,
      failures: (pass.failures ?? []).map((f) => ({
        code: f.code,
        message: f.message.slice(0, 4096),
      })),
      bytesDownloaded: pass.bytesDownloaded,
      ...(pass.timings ? { timings: pass.timings } : {}),
      ...(pass.frozen ? { frozen: pass.frozen } : {}),
    };
  }
}
