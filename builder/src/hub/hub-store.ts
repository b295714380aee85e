// What the hub keeps, behind one interface: SQLite (sqlite-store.ts) by default, PostgreSQL for
// fleets that outgrow one file. Every method is one transaction: a report is stored whole or not.
import type { FailureLog } from '#kernel/failure-log.js';
import type { HubReport, ReportedDeployment, StateReport } from '#kernel/hub/hub-report.js';

export interface DeviceRow {
  readonly id: string;
  readonly lastSeen: string | null;
  /** When its last state report came (a heartbeat moves only lastSeen). */
  readonly stateAt: string | null;
  readonly identity: Record<string, unknown>;
  readonly labels: Record<string, string>;
  readonly resources: Record<string, unknown>;
  readonly revision: string | null;
  readonly converged: boolean | null;
  readonly deployments: readonly ReportedDeployment[];
  /** Whether the fleet repository has its devices/<id>.yaml, as the device last said. */
  readonly listed: boolean | null;
  /** Who enrolled it: an operator (`ferry hub enroll`) or the device itself (enrollment secret). */
  readonly enrolledBy: 'operator' | 'self';
  /** Set while the device's beacon has expired (it may be held on a stale state). */
  readonly frozen: { readonly expiresAt: string; readonly sequence: number } | null;
}

/** A remote operation on one device's service, as the operator asked for it (also its audit). */
export interface OperationRequest {
  readonly device: string;
  readonly kind: 'logs' | 'restart';
  readonly deployment: string;
  readonly service: string;
  /** For `logs`: how many of the last lines. */
  readonly lines?: number;
  /** Who asked (the operator's own name, as given) and from where. */
  readonly requestedBy: string;
}

export interface Operation extends OperationRequest {
  readonly id: number;
  readonly requestedAt: string;
  readonly state: 'pending' | 'done' | 'failed';
  readonly finishedAt: string | null;
  /** For `logs`: the lines; for a failure: why. */
  readonly result: { readonly lines?: readonly string[]; readonly error?: string } | null;
}

export interface DeviceEvent {
  readonly at: string;
  readonly kind: string;
  readonly body: Record<string, unknown>;
}

export type StoreResult = 'stored' | 'duplicate';

/** Events kept per device (older ones are deleted as new ones arrive): the store stays bounded. */
export const EVENTS_KEPT = 200;

export interface HubStore {
  /** Applies the schema migrations this version has not applied yet. */
  migrate(): Promise<void>;
  /** Enrolls a device (or gives it a new token): only the hash is kept. */
  enroll(device: string, tokenHash: string): Promise<void>;
  /** Registers a device that enrolled itself; false (and nothing changed) when the id is taken. */
  register(device: string, tokenHash: string): Promise<boolean>;
  /** The device a token hash belongs to. */
  deviceOfToken(tokenHash: string): Promise<string | undefined>;
  /** Stores a report of `device` (already checked); one seen before (by seq) changes nothing. */
  store(device: string, report: HubReport, receivedAt: string): Promise<StoreResult>;
  devices(): Promise<DeviceRow[]>;
  device(id: string): Promise<DeviceRow | undefined>;
  events(id: string, limit: number): Promise<DeviceEvent[]>;
  /** Records an operation for the device to pull with its next report; its id. */
  requestOperation(request: OperationRequest, at: string): Promise<number>;
  /** A device's operations, newest first; `pendingSince` limits them to pending ones asked after. */
  operations(
    device: string,
    options: { limit: number; pendingSince?: string },
  ): Promise<Operation[]>;
  /** The device's answer; false when it is not that device's pending operation. */
  finishOperation(
    device: string,
    id: number,
    result: NonNullable<Operation['result']>,
    at: string,
  ): Promise<boolean>;
  /** Keeps a rollout decision the controller reports (the deployment's history). */
  recordDecision(deployment: string, decision: Record<string, unknown>, at: string): Promise<void>;
  /** A deployment's rollout decisions, newest first. */
  decisions(deployment: string, limit: number): Promise<RolloutEvent[]>;
  /**
   * Keeps a dashboard session (by the SHA-256 of its cookie) until `expiresAt` (epoch ms), and
   * forgets the expired ones and all but the newest `keep`.
   */
  addSession(idHash: string, expiresAt: number, now: number, keep: number): Promise<void>;
  /** Whether a session is kept and has not expired at `now`. */
  sessionValid(idHash: string, now: number): Promise<boolean>;
  dropSession(idHash: string): Promise<void>;
  close(): Promise<void>;
}

export interface RolloutEvent {
  readonly at: string;
  readonly decision: Record<string, unknown>;
}

/**
 * What a state report leaves in a device's events: the outcome, its failures, each status, and
 * the output of a container that failed its health gate (the device removed that container).
 */
export function stateEvent(report: StateReport): Record<string, unknown> {
  return {
    revision: report.revision,
    converged: report.converged,
    failures: report.failures,
    bytesDownloaded: report.bytesDownloaded,
    ...(report.timings ? { timings: report.timings } : {}),
    deployments: report.deployments.map((d) => ({
      name: d.name,
      status: d.status,
      ...(d.desiredRevision ? { revision: d.desiredRevision } : {}),
      ...(d.code ? { code: d.code } : {}),
      ...(d.failureLog ? { failureLog: d.failureLog } : {}),
    })),
  };
}

/** The failure logs in a device's events, newest first. */
export function failureLogs(events: readonly DeviceEvent[]): FailureLogEntry[] {
  return events.flatMap((event) => {
    const deployments = (event.body.deployments ?? []) as readonly EventDeployment[];
    return deployments.flatMap((d) =>
      d.failureLog
        ? [{ at: event.at, deployment: d.name, revision: d.revision ?? null, ...d.failureLog }]
        : [],
    );
  });
}

interface EventDeployment {
  readonly name: string;
  readonly revision?: string;
  readonly failureLog?: FailureLog;
}

export interface FailureLogEntry extends FailureLog {
  readonly at: string;
  readonly deployment: string;
  readonly revision: string | null;
}
