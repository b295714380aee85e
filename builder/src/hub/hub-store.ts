// What the hub keeps, behind one interface: SQLite (sqlite-store.ts) by default, PostgreSQL for
// fleets that outgrow one file. Every method is one transaction: a report is stored whole or not.
import type { HubReport, ReportedDeployment, StateReport } from '#kernel/hub/hub-report.js';

export interface DeviceRow {
  readonly id: string;
  readonly lastSeen: string | null;
  readonly identity: Record<string, unknown>;
  readonly labels: Record<string, string>;
  readonly resources: Record<string, unknown>;
  readonly revision: string | null;
  readonly converged: boolean | null;
  readonly deployments: readonly ReportedDeployment[];
}

export interface DeviceEvent {
  readonly at: string;
  readonly kind: string;
  readonly body: Record<string, unknown>;
}

export type StoreResult = 'stored' | 'duplicate';

export interface HubStore {
  /** Applies the schema migrations this version has not applied yet. */
  migrate(): Promise<void>;
  /** Enrolls a device (or gives it a new token): only the hash is kept. */
  enroll(device: string, tokenHash: string): Promise<void>;
  /** The device a token hash belongs to. */
  deviceOfToken(tokenHash: string): Promise<string | undefined>;
  /** Stores a report of `device` (already checked); one seen before (by seq) changes nothing. */
  store(device: string, report: HubReport, receivedAt: string): Promise<StoreResult>;
  devices(): Promise<DeviceRow[]>;
  device(id: string): Promise<DeviceRow | undefined>;
  events(id: string, limit: number): Promise<DeviceEvent[]>;
  close(): Promise<void>;
}

/** What a state report leaves in a device's events: the outcome, its failures, each status. */
export function stateEvent(report: StateReport): Record<string, unknown> {
  return {
    revision: report.revision,
    converged: report.converged,
    failures: report.failures,
    deployments: report.deployments.map((d) => ({ name: d.name, status: d.status })),
  };
}
