// The hub's HTTP API (v1): devices post reports with their own token; operators read the fleet
// with theirs. Every body is bounded and checked against schema/report.schema.json before it is
// stored, and a device can write only its own record.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { MAX_REPORT_BYTES, type HubReport } from '#kernel/hub/hub-report.js';
import { readBody } from '#kernel/http/read-body.js';
import {
  startTokenServer,
  tokenMatches,
  type Reply,
  type RunningServer,
} from '#kernel/http/token-server.js';
import type { SchemaValidator } from '#kernel/validate.js';
import type { DeviceRow, HubStore } from './hub-store.js';

export interface HubServerOptions {
  readonly listen: string;
  readonly store: HubStore;
  readonly validator: SchemaValidator;
  readonly operatorToken: string;
  /** A device is offline after three heartbeats missed. */
  readonly heartbeatMs: number;
  readonly now?: () => number;
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function startHubServer(options: HubServerOptions): Promise<RunningServer> {
  return startTokenServer({
    listen: options.listen,
    token: undefined,
    perRouteAuth: true,
    settings: { listen: 'listen', tokenFile: 'operatorTokenFile' },
    routes: (route, request) => hubRoute(options, route, request),
  });
}

async function hubRoute(
  options: HubServerOptions,
  route: string,
  request: IncomingMessage,
): Promise<Reply | undefined> {
  if (route === 'GET /healthz') return { status: 200, json: { ok: true } };
  if (route === 'POST /api/v1/reports') return receiveReport(options, request);
  if (!route.startsWith('GET /api/v1/')) return undefined;
  if (!tokenMatches(request.headers.authorization, options.operatorToken))
    return { status: 401, json: { error: 'an operator token is required' } };
  const now = (options.now ?? Date.now)();
  const view = (row: DeviceRow) => deviceView(row, now, options.heartbeatMs);
  if (route === 'GET /api/v1/devices')
    return { status: 200, json: { devices: (await options.store.devices()).map(view) } };
  const device = /^GET \/api\/v1\/devices\/([A-Za-z0-9._-]+)$/.exec(route)?.[1];
  if (device) {
    const row = await options.store.device(device);
    if (!row) return { status: 404, json: { error: `no device ${device}` } };
    return { status: 200, json: { ...view(row), events: await options.store.events(device, 50) } };
  }
  const deployment = /^GET \/api\/v1\/deployments\/([A-Za-z0-9._-]+)$/.exec(route)?.[1];
  if (deployment)
    return {
      status: 200,
      json: deploymentView(deployment, (await options.store.devices()).map(view)),
    };
  return undefined;
}

async function receiveReport(options: HubServerOptions, request: IncomingMessage): Promise<Reply> {
  const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
  const device = bearer ? await options.store.deviceOfToken(tokenHash(bearer)) : undefined;
  if (!device) return { status: 401, json: { error: 'an enrolled device token is required' } };
  let body: Buffer;
  try {
    body = await readBody(request, MAX_REPORT_BYTES);
  } catch (error) {
    return { status: 413, json: { error: (error as Error).message } };
  }
  let report: unknown;
  try {
    report = JSON.parse(body.toString('utf8'));
  } catch {
    return { status: 400, json: { error: 'the report is not JSON' } };
  }
  const problems = options.validator.check('report', report);
  if (problems.length > 0) return { status: 400, json: { error: 'invalid report', problems } };
  const checked = report as HubReport;
  if (checked.device !== device)
    return {
      status: 403,
      json: { error: `this token belongs to ${device}, not ${checked.device}` },
    };
  const at = new Date((options.now ?? Date.now)()).toISOString();
  return { status: 200, json: { result: await options.store.store(device, checked, at) } };
}

function deviceView(row: DeviceRow, now: number, heartbeatMs: number) {
  const seen = row.lastSeen === null ? undefined : Date.parse(row.lastSeen);
  return {
    id: row.id,
    online: seen !== undefined && now - seen < 3 * heartbeatMs,
    lastSeen: row.lastSeen,
    arch: (row.identity.arch as string | undefined) ?? null,
    labels: row.labels,
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
    })),
  };
}

/** How each revision of a deployment fares across the devices that run it. */
function deploymentView(name: string, devices: ReturnType<typeof deviceView>[]) {
  const revisions = new Map<string, Record<string, number>>();
  for (const device of devices)
    for (const d of device.deployments.filter((x) => x.name === name)) {
      const key = d.desiredRevision ?? '(none)';
      const counts = revisions.get(key) ?? {
        converged: 0,
        failed: 0,
        rolledBack: 0,
        pending: 0,
        offline: 0,
      };
      const bucket = !device.online
        ? 'offline'
        : d.status === 'converged'
          ? 'converged'
          : d.status === 'rolled-back'
            ? 'rolledBack'
            : d.status === 'failed' || d.status === 'rejected'
              ? 'failed'
              : 'pending';
      counts[bucket] = (counts[bucket] ?? 0) + 1;
      revisions.set(key, counts);
    }
  return { name, revisions: Object.fromEntries(revisions) };
}
