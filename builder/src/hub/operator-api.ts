// The routes operators call with their token: the fleet (filtered), one device with its events,
// failure logs and operations, one deployment per revision, remote operations, and /metrics.
import type { IncomingMessage } from 'node:http';
import type { Reply } from '#kernel/http/token-server.js';
import type { SchemaValidator } from '#kernel/validate.js';
import { failureLogs, type HubStore, type OperationRequest } from './hub-store.js';
import { parseBody } from './device-api.js';
import type { HubMetrics } from './hub-metrics.js';
import { paginate, pageOf } from './device-pages.js';
import { deploymentView, deviceView, filterOf, matches, type DeviceView } from './hub-views.js';

export interface OperatorApiOptions {
  readonly store: HubStore;
  readonly validator: SchemaValidator;
  readonly heartbeatMs: number;
  readonly now: () => number;
  readonly metrics: HubMetrics;
}

const ID = '([A-Za-z0-9][A-Za-z0-9._-]*)';
const DEVICE = new RegExp(`^GET /api/v1/devices/${ID}$`);
const OPERATIONS = new RegExp(`^POST /api/v1/devices/${ID}/operations$`);
const DEPLOYMENT = new RegExp(`^GET /api/v1/deployments/${ID}$`);
const DECISIONS = new RegExp(`^POST /api/v1/deployments/${ID}/decisions$`);

/** Events and operations shown with one device. */
const RECENT = 50;

export async function allDevices(options: OperatorApiOptions): Promise<DeviceView[]> {
  const now = options.now();
  return (await options.store.devices()).map((row) => deviceView(row, now, options.heartbeatMs));
}

/** One device with its recent events, failure logs and operations; undefined when unknown. */
export async function deviceDetail(options: OperatorApiOptions, id: string) {
  const row = await options.store.device(id);
  if (!row) return undefined;
  const events = await options.store.events(id, RECENT);
  return {
    ...deviceView(row, options.now(), options.heartbeatMs),
    events,
    failureLogs: failureLogs(events),
    operations: await options.store.operations(id, { limit: RECENT }),
  };
}

/**
 * A deployment: how each revision fares, its rollout, its history. The rollout is as the device
 * that reported last saw it in the fleet: devices that have not polled since still name an older
 * step (after a pause, a resume, or a step moved back by hand).
 */
export async function deploymentDetail(options: OperatorApiOptions, name: string) {
  const devices = await allDevices(options);
  let newest: { at: string; percent: number; paused: boolean } | undefined;
  for (const device of devices) {
    const rollout = device.deployments.find((x) => x.name === name)?.rollout;
    const at = device.stateAt ?? '';
    if (rollout && (newest === undefined || at > newest.at))
      newest = { at, percent: rollout.percent, paused: rollout.paused === true };
  }
  return {
    ...deploymentView(name, devices),
    ...(newest ? { rollout: { percent: newest.percent, paused: newest.paused } } : {}),
    decisions: await options.store.decisions(name, RECENT),
  };
}

export async function operatorRoute(
  options: OperatorApiOptions,
  route: string,
  request: IncomingMessage,
): Promise<Reply | undefined> {
  const query = new URL(request.url ?? '/', 'http://hub').searchParams;
  if (route === 'GET /api/v1/devices') {
    const filter = filterOf(query);
    if (typeof filter === 'string') return { status: 400, json: { error: filter } };
    const page = pageOf(query);
    if (typeof page === 'string') return { status: 400, json: { error: page } };
    const devices = (await allDevices(options)).filter((d) => matches(d, filter));
    return { status: 200, json: paginate(devices, page) };
  }
  if (route === 'GET /metrics')
    return {
      status: 200,
      text: await options.metrics.render(await allDevices(options)),
      contentType: options.metrics.registry.contentType,
    };
  const device = DEVICE.exec(route)?.[1];
  if (device) {
    const detail = await deviceDetail(options, device);
    return detail
      ? { status: 200, json: detail }
      : { status: 404, json: { error: `no device ${device}` } };
  }
  const deployment = DEPLOYMENT.exec(route)?.[1];
  if (deployment) return { status: 200, json: await deploymentDetail(options, deployment) };
  const decided = DECISIONS.exec(route)?.[1];
  if (decided) {
    const parsed = await parseBody(request, 64 * 1024, options.validator, 'decision');
    if (!parsed.ok) return parsed.reply;
    const at = new Date(options.now()).toISOString();
    await options.store.recordDecision(decided, parsed.value as Record<string, unknown>, at);
    return { status: 201, json: { result: 'stored' } };
  }
  const target = OPERATIONS.exec(route)?.[1];
  if (target) return requestOperation(options, request, target);
  return undefined;
}

/** Records an operation for the device to pull; who asked and from where are kept with it. */
async function requestOperation(
  options: OperatorApiOptions,
  request: IncomingMessage,
  device: string,
): Promise<Reply> {
  if (!(await options.store.device(device)))
    return { status: 404, json: { error: `no device ${device}` } };
  const parsed = await parseBody(request, 4096, options.validator, 'operation');
  if (!parsed.ok) return parsed.reply;
  const asked = parsed.value as Omit<OperationRequest, 'device' | 'requestedBy'> & { by?: string };
  const from = request.socket.remoteAddress ?? 'unknown';
  const operation: OperationRequest = {
    device,
    kind: asked.kind,
    deployment: asked.deployment,
    service: asked.service,
    ...(asked.kind === 'logs' ? { lines: asked.lines ?? 200 } : {}),
    requestedBy: `${asked.by ?? 'operator'} (${from})`,
  };
  const at = new Date(options.now()).toISOString();
  const id = await options.store.requestOperation(operation, at);
  return { status: 202, json: { id, state: 'pending' } };
}
