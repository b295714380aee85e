// PostgreSQL's rows as the hub's types (pg-store.ts): timestamps to ISO strings, JSONB as is.
import type { DeviceRow, Operation } from './hub-store.js';

export interface PgDevice {
  id: string;
  last_seen: Date | null;
  state_at: Date | null;
  identity: Record<string, unknown>;
  labels: Record<string, string>;
  resources: Record<string, unknown>;
  revision: string | null;
  converged: boolean | null;
  deployments: DeviceRow['deployments'];
  listed: boolean | null;
  enrolled_by: string;
  frozen: DeviceRow['frozen'];
}

export interface PgOperation {
  id: string;
  device_id: string;
  kind: Operation['kind'];
  deployment: string;
  service: string;
  lines: number | null;
  requested_by: string;
  requested_at: Date;
  state: Operation['state'];
  finished_at: Date | null;
  result: Operation['result'];
}

export function operationOf(row: PgOperation): Operation {
  return {
    id: Number(row.id),
    device: row.device_id,
    kind: row.kind,
    deployment: row.deployment,
    service: row.service,
    ...(row.lines === null ? {} : { lines: row.lines }),
    requestedBy: row.requested_by,
    requestedAt: row.requested_at.toISOString(),
    state: row.state,
    finishedAt: row.finished_at === null ? null : row.finished_at.toISOString(),
    result: row.result,
  };
}

export function deviceOf(row: PgDevice): DeviceRow {
  return {
    id: row.id,
    lastSeen: row.last_seen === null ? null : row.last_seen.toISOString(),
    stateAt: row.state_at === null ? null : row.state_at.toISOString(),
    identity: row.identity,
    labels: row.labels,
    resources: row.resources,
    revision: row.revision,
    converged: row.converged,
    deployments: row.deployments,
    listed: row.listed,
    enrolledBy: row.enrolled_by === 'self' ? 'self' : 'operator',
    frozen: row.frozen,
  };
}
