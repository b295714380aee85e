// SQLite's rows as the hub's types (sqlite-store.ts): JSON text parsed, 0/1 as booleans.
import type { Row } from '@libsql/client';
import type { DeviceRow, Operation } from './hub-store.js';

export function deviceOf(row: Row): DeviceRow {
  const json = <T>(value: unknown, fallback: T): T =>
    typeof value === 'string' ? (JSON.parse(value) as T) : fallback;
  return {
    id: String(row.id),
    lastSeen: row.last_seen === null ? null : String(row.last_seen),
    stateAt: row.state_at === null || row.state_at === undefined ? null : String(row.state_at),
    identity: json(row.identity, {}),
    labels: json(row.labels, {}),
    resources: json(row.resources, {}),
    revision: row.revision === null ? null : String(row.revision),
    converged: row.converged === null ? null : Number(row.converged) === 1,
    deployments: json(row.deployments, []),
    listed: row.listed === null ? null : Number(row.listed) === 1,
    enrolledBy: row.enrolled_by === 'self' ? 'self' : 'operator',
    frozen: json(row.frozen, null),
  };
}

export function operationOf(row: Row): Operation {
  return {
    id: Number(row.id),
    device: String(row.device_id),
    kind: row.kind === 'restart' ? 'restart' : 'logs',
    deployment: String(row.deployment),
    service: String(row.service),
    ...(row.lines === null ? {} : { lines: Number(row.lines) }),
    requestedBy: String(row.requested_by),
    requestedAt: String(row.requested_at),
    state: String(row.state) as Operation['state'],
    finishedAt: row.finished_at === null ? null : String(row.finished_at),
    result: row.result === null ? null : (JSON.parse(String(row.result)) as Operation['result']),
  };
}
