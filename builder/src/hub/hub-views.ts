// What the hub shows of its rows: a device as the API and the dashboard present it, the filters
// operators pick devices with, and how each revision of a deployment fares. Pure: the clock and
// the heartbeat interval come in as arguments.
import type { ReportedStatus } from '#kernel/hub/hub-report.js';
import type { DeviceRow } from './hub-store.js';

export type DeviceView = ReturnType<typeof deviceView>;

/** A device is offline once it missed this many heartbeats. */
export const MISSED_HEARTBEATS = 3;

export function deviceView(row: DeviceRow, now: number, heartbeatMs: number) {
  const seen = row.lastSeen === null ? undefined : Date.parse(row.lastSeen);
  return {
    id: row.id,
    online: seen !== undefined && now - seen < MISSED_HEARTBEATS * heartbeatMs,
    lastSeen: row.lastSeen,
    stateAt: row.stateAt,
    arch: (row.identity.arch as string | undefined) ?? null,
    labels: row.labels,
    // A device that enrolled itself is not in the fleet until a devices/<id>.yaml names it.
    inFleet: row.listed ?? (row.enrolledBy === 'self' ? false : null),
    enrolledBy: row.enrolledBy,
    frozen: row.frozen,
    identity: row.identity,
    revision: row.revision,
    converged: row.converged,
    resources: row.resources,
    deployments: row.deployments.map((d) => ({
      name: d.name,
      appliedRevision: d.appliedRevision,
      desiredRevision: d.desiredRevision,
      status: d.status,
      ...(d.reason ? { reason: d.reason } : {}),
      ...(d.code ? { code: d.code } : {}),
      ...(d.until ? { until: d.until } : {}),
      ...(d.rollout ? { rollout: d.rollout } : {}),
      services: d.services,
    })),
  };
}

/** A label selector: `k=v` and `k!=v` terms, comma-separated, all of which must hold. */
export interface Selector {
  readonly terms: readonly { key: string; value: string; equal: boolean }[];
}

export function parseSelector(text: string): Selector | string {
  const terms = [];
  for (const term of text.split(',').filter((t) => t.trim() !== '')) {
    const match = /^\s*([A-Za-z0-9._/-]+)\s*(!=|==|=)\s*([^,]*?)\s*$/.exec(term);
    if (!match) return `'${term}' is not a selector term (key=value or key!=value)`;
    terms.push({ key: match[1] ?? '', value: match[3] ?? '', equal: match[2] !== '!=' });
  }
  return { terms };
}

export interface DeviceFilter {
  readonly selector?: Selector;
  readonly deployment?: string;
  /** A deployment status (of `deployment` when given, of any deployment otherwise). */
  readonly status?: ReportedStatus;
  readonly online?: boolean;
}

/** The filter of a query string; a string says what is wrong with it. */
export function filterOf(query: URLSearchParams): DeviceFilter | string {
  const filter: { -readonly [K in keyof DeviceFilter]: DeviceFilter[K] } = {};
  const selector = query.get('selector');
  if (selector) {
    const parsed = parseSelector(selector);
    if (typeof parsed === 'string') return parsed;
    filter.selector = parsed;
  }
  const deployment = query.get('deployment');
  if (deployment) filter.deployment = deployment;
  const status = query.get('status');
  if (status) {
    if (!STATUSES.includes(status as ReportedStatus))
      return `status must be one of ${STATUSES.join(', ')}`;
    filter.status = status as ReportedStatus;
  }
  const online = query.get('online');
  if (online) {
    if (online !== 'true' && online !== 'false') return 'online must be true or false';
    filter.online = online === 'true';
  }
  return filter;
}

/** Every status a deployment can be reported in (the schema's enum, in a useful order). */
export const STATUSES: readonly ReportedStatus[] = [
  'converged',
  'updating',
  'waiting-window',
  'rolled-back',
  'failed',
  'rejected',
  'held',
];

export function matches(device: DeviceView, filter: DeviceFilter): boolean {
  if (filter.online !== undefined && device.online !== filter.online) return false;
  for (const term of filter.selector?.terms ?? [])
    if ((device.labels[term.key] === term.value) !== term.equal) return false;
  const deployments = filter.deployment
    ? device.deployments.filter((d) => d.name === filter.deployment)
    : device.deployments;
  if (filter.deployment && deployments.length === 0) return false;
  if (filter.status && !deployments.some((d) => d.status === filter.status)) return false;
  return true;
}

export type RevisionCounts = Record<
  'converged' | 'failed' | 'rolledBack' | 'pending' | 'offline',
  number
>;

/** Which of a deployment's counts a device falls in. */
function bucketOf(online: boolean, status: ReportedStatus): keyof RevisionCounts {
  if (!online) return 'offline';
  if (status === 'converged') return 'converged';
  if (status === 'rolled-back') return 'rolledBack';
  if (status === 'failed' || status === 'rejected') return 'failed';
  return 'pending';
}

/** How each revision of a deployment fares across the devices asked to run it. */
export function deploymentView(name: string, devices: readonly DeviceView[]) {
  const revisions = new Map<string, RevisionCounts & { devices: number }>();
  for (const device of devices)
    for (const d of device.deployments.filter((x) => x.name === name)) {
      const key = d.desiredRevision ?? '(none)';
      const counts = revisions.get(key) ?? {
        devices: 0,
        converged: 0,
        failed: 0,
        rolledBack: 0,
        pending: 0,
        offline: 0,
      };
      counts.devices += 1;
      counts[bucketOf(device.online, d.status)] += 1;
      revisions.set(key, counts);
    }
  return { name, revisions: Object.fromEntries(revisions) };
}
