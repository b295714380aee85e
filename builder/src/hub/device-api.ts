// The routes gateways call: reports (answered with the operations waiting for the device),
// self-enrollment with the fleet-wide secret, and the answers to operations. A device token
// writes only its own device's record; every body is bounded and checked before it is stored.
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { MAX_REPORT_BYTES, type HubReport } from '#kernel/hub/hub-report.js';
import { readBody } from '#kernel/http/read-body.js';
import { tokenMatches, type Reply } from '#kernel/http/token-server.js';
import type { SchemaName, SchemaValidator } from '#kernel/validate.js';
import type { HubMetrics } from './hub-metrics.js';
import type { HubStore, Operation } from './hub-store.js';

export interface DeviceApiOptions {
  readonly store: HubStore;
  readonly validator: SchemaValidator;
  readonly enrollmentSecret?: string;
  readonly now: () => number;
  readonly metrics: HubMetrics;
}

/** An operation not picked up within this long is no longer handed out (the ask is stale). */
export const OPERATION_TTL_MS = 60 * 60 * 1000;
/** Operations handed out with one answer at most. */
const OPERATIONS_PER_ANSWER = 8;
const MAX_RESULT_BYTES = 1024 * 1024;

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The operation a device is asked to do, as it receives it. */
export type DeviceOperation = Pick<Operation, 'id' | 'kind' | 'deployment' | 'service' | 'lines'>;

type Parsed = { ok: true; value: unknown } | { ok: false; reply: Reply };

/** A JSON body within `maxBytes` that `schema` accepts, or the 4xx that says why not. */
export async function parseBody(
  request: IncomingMessage,
  maxBytes: number,
  validator: SchemaValidator,
  schema: SchemaName,
): Promise<Parsed> {
  let body: Buffer;
  try {
    body = await readBody(request, maxBytes);
  } catch (error) {
    return { ok: false, reply: { status: 413, json: { error: (error as Error).message } } };
  }
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, reply: { status: 400, json: { error: 'the body is not JSON' } } };
  }
  const problems = validator.check(schema, value);
  if (problems.length > 0)
    return { ok: false, reply: { status: 400, json: { error: `invalid ${schema}`, problems } } };
  return { ok: true, value };
}

async function deviceOf(options: DeviceApiOptions, request: IncomingMessage) {
  const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
  return bearer ? options.store.deviceOfToken(tokenHash(bearer)) : undefined;
}

const unauthorized: Reply = {
  status: 401,
  json: { error: 'an enrolled device token is required' },
};

export async function receiveReport(
  options: DeviceApiOptions,
  request: IncomingMessage,
): Promise<Reply> {
  const device = await deviceOf(options, request);
  if (!device) return unauthorized;
  const parsed = await parseBody(request, MAX_REPORT_BYTES, options.validator, 'report');
  const refused = (kind: string) => options.metrics.reports.inc({ kind, result: 'refused' });
  if (!parsed.ok) {
    refused('invalid');
    return parsed.reply;
  }
  const report = parsed.value as HubReport;
  if (report.device !== device) {
    refused(report.kind);
    return {
      status: 403,
      json: { error: `this token belongs to ${device}, not ${report.device}` },
    };
  }
  const now = options.now();
  const result = await options.store.store(device, report, new Date(now).toISOString());
  options.metrics.reports.inc({ kind: report.kind, result });
  const pending = await options.store.operations(device, {
    limit: OPERATIONS_PER_ANSWER,
    pendingSince: new Date(now - OPERATION_TTL_MS).toISOString(),
  });
  const operations: DeviceOperation[] = pending.reverse().map((o) => ({
    id: o.id,
    kind: o.kind,
    deployment: o.deployment,
    service: o.service,
    ...(o.lines === undefined ? {} : { lines: o.lines }),
  }));
  return { status: 200, json: { result, ...(operations.length > 0 ? { operations } : {}) } };
}

/**
 * A new device enrolls itself with the fleet-wide secret and gets its own token. An id already
 * enrolled is refused: the secret lets a device join, never take over another's record.
 */
export async function enrollDevice(
  options: DeviceApiOptions,
  request: IncomingMessage,
): Promise<Reply> {
  const secret = options.enrollmentSecret;
  if (!secret) return { status: 404, json: { error: 'self-enrollment is not enabled' } };
  if (!tokenMatches(request.headers.authorization, secret))
    return { status: 401, json: { error: 'the enrollment secret is required' } };
  let device: unknown;
  try {
    device = (JSON.parse((await readBody(request, 1024)).toString('utf8')) as { device?: unknown })
      .device;
  } catch {
    return { status: 400, json: { error: 'expected {"device": ID}' } };
  }
  if (typeof device !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(device))
    return { status: 400, json: { error: 'device must be an id (letters, digits, . _ -)' } };
  const token = randomBytes(32).toString('base64url');
  if (!(await options.store.register(device, tokenHash(token))))
    return {
      status: 409,
      json: { error: `${device} is enrolled already: an operator gives it a new token` },
    };
  return { status: 200, json: { device, token } };
}

export async function operationResult(
  options: DeviceApiOptions,
  request: IncomingMessage,
  id: number,
): Promise<Reply> {
  const device = await deviceOf(options, request);
  if (!device) return unauthorized;
  const parsed = await parseBody(request, MAX_RESULT_BYTES, options.validator, 'operation-result');
  if (!parsed.ok) return parsed.reply;
  const at = new Date(options.now()).toISOString();
  const result = parsed.value as NonNullable<Operation['result']>;
  if (!(await options.store.finishOperation(device, id, result, at)))
    return { status: 404, json: { error: `no pending operation ${id} for ${device}` } };
  return { status: 200, json: { result: 'stored' } };
}
