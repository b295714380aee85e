// The hub's HTTP server: which routes need which credentials. Devices post reports and answers
// with their own token (device-api.ts), a new device may enroll with the fleet-wide secret, and
// operators read the fleet, ask for operations and use the dashboard with theirs (operator-api.ts,
// dashboard/).
import type { IncomingMessage } from 'node:http';
import {
  startTokenServer,
  tokenMatches,
  type Reply,
  type RunningServer,
} from '#kernel/http/token-server.js';
import type { SchemaValidator } from '#kernel/validate.js';
import { dashboardRoute, sessionOf, Sessions } from './dashboard/dashboard-routes.js';
import { enrollDevice, operationResult, receiveReport } from './device-api.js';
import { hubMetrics } from './hub-metrics.js';
import type { HubStore } from './hub-store.js';
import { operatorRoute } from './operator-api.js';

export { tokenHash } from './device-api.js';

export interface HubServerOptions {
  readonly listen: string;
  readonly store: HubStore;
  readonly validator: SchemaValidator;
  readonly operatorToken: string;
  /** Lets a new device enroll itself (POST /api/v1/enroll); unset, only operators enroll. */
  readonly enrollmentSecret?: string;
  /** A device is offline after three heartbeats missed. */
  readonly heartbeatMs: number;
  readonly now?: () => number;
}

const RESULT = /^POST \/api\/v1\/operations\/(\d{1,15})\/result$/;

export function startHubServer(options: HubServerOptions): Promise<RunningServer> {
  const context = {
    ...options,
    now: options.now ?? Date.now,
    metrics: hubMetrics(),
    sessions: new Sessions(options.store),
  };
  return startTokenServer({
    listen: options.listen,
    token: undefined,
    perRouteAuth: true,
    settings: { listen: 'listen', tokenFile: 'operatorTokenFile' },
    routes: (route, request) => hubRoute(context, route, request),
  });
}

type Context = Parameters<typeof dashboardRoute>[0] &
  Parameters<typeof receiveReport>[0] & { readonly sessions: Sessions };

async function hubRoute(
  context: Context,
  route: string,
  request: IncomingMessage,
): Promise<Reply | undefined> {
  if (route === 'GET /healthz') return { status: 200, json: { ok: true } };
  if (route === 'POST /api/v1/reports') return receiveReport(context, request);
  if (route === 'POST /api/v1/enroll') return enrollDevice(context, request);
  const operation = RESULT.exec(route)?.[1];
  if (operation) return operationResult(context, request, Number(operation));
  // An operator: the token in the Authorization header, or a dashboard session for reading
  // (a cookie is sent by the browser on its own, so it never authorises a change).
  const bearer = tokenMatches(request.headers.authorization, context.operatorToken);
  const operator =
    bearer ||
    (request.method === 'GET' && (await context.sessions.valid(sessionOf(request), context.now())));
  const isApi = route.includes(' /api/') || route === 'GET /metrics';
  if (isApi && !operator) return { status: 401, json: { error: 'an operator token is required' } };
  if (isApi) return operatorRoute(context, route, request);
  return dashboardRoute(context, route, request, operator);
}
