// What a gateway tells the hub (POST /api/v1/reports), shared by ferryd, which sends it, and the
// hub, which checks it against schema/report.schema.json before it stores anything.
import type { FailureLog } from '../failure-log.js';

/** Where a deployment stands on the device. */
export type ReportedStatus =
  'converged' | 'updating' | 'waiting-window' | 'rolled-back' | 'failed' | 'rejected' | 'held';

export interface ReportedDeployment {
  readonly name: string;
  /** The revision the device was asked to run (its stack's revision). */
  readonly desiredRevision: string | null;
  /** The revision it runs and has seen healthy (last known good). */
  readonly appliedRevision: string | null;
  readonly status: ReportedStatus;
  readonly reason?: string;
  readonly code?: string;
  /** A held failed revision is tried again at this time. */
  readonly until?: string;
  readonly services: readonly { readonly name: string; readonly state: string }[];
  /** After a failed health gate: the failed container's last output. */
  readonly failureLog?: FailureLog;
  /** In a staged rollout: the current step, and whether this device is in it. */
  readonly rollout?: {
    readonly percent: number;
    readonly selected: boolean;
    readonly paused?: boolean;
  };
}

export interface DeviceIdentity {
  readonly hostname: string;
  readonly arch: string;
  readonly os: string;
  readonly kernel: string;
  readonly ferrydVersion: string;
  /** The container engine's version, when it answered. */
  readonly engineVersion?: string;
}

export interface DeviceResources {
  readonly cpus: number;
  readonly load1: number;
  readonly memTotal: number;
  readonly memAvailable: number;
  /** Free bytes of the disk that holds state.dir. */
  readonly diskFree: number;
  /** Free bytes of the disk that holds the engine's data root, when ferryd can see it. */
  readonly engineDiskFree?: number;
  readonly uptime: number;
}

interface ReportBase {
  readonly v: 1;
  readonly device: string;
  /** Grows with every report a device makes: the hub ignores one it has already stored. */
  readonly seq: number;
  readonly sentAt: string;
  readonly resources: DeviceResources;
}

/** Nothing changed: the device is alive. Small on purpose (well under 1 KB). */
export interface HeartbeatReport extends ReportBase {
  readonly kind: 'heartbeat';
}

/** What changed on the device: after a pass whose outcome differs from the one before. */
export interface StateReport extends ReportBase {
  readonly kind: 'state';
  readonly identity: DeviceIdentity;
  readonly labels: Readonly<Record<string, string>>;
  /** Whether the fleet repository has a devices/<id>.yaml for this device. */
  readonly listed?: boolean;
  readonly revision: string | null;
  readonly converged: boolean;
  readonly deployments: readonly ReportedDeployment[];
  readonly failures: readonly { readonly code: string; readonly message: string }[];
  readonly bytesDownloaded: number;
  /** The beacon expired: the gateway keeps what it has and may be frozen on a stale state. */
  readonly frozen?: { readonly expiresAt: string; readonly sequence: number };
  /** Where the pass spent its time (downloads and imports, then container changes). */
  readonly timings?: { readonly fetchMs: number; readonly applyMs: number };
}

export type HubReport = HeartbeatReport | StateReport;

/** The largest report the hub reads; anything longer is refused unread. */
export const MAX_REPORT_BYTES = 256 * 1024;
