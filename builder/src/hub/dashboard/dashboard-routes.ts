// The dashboard's routes: sign-in with the operator token (a session cookie, so the token is typed
// once and never put in a URL), the pages, and their assets. Pages answer their live part alone
// when the page's script asks (x-ferry-fragment), which is how they update without a reload.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { readBody } from '#kernel/http/read-body.js';
import { tokenMatches, type Reply } from '#kernel/http/token-server.js';
import { tokenHash } from '../device-api.js';
import type { HubStore } from '../hub-store.js';
import { filterOf, matches } from '../hub-views.js';
import {
  allDevices,
  deploymentDetail,
  deviceDetail,
  type OperatorApiOptions,
} from '../operator-api.js';
import { DASHBOARD_CSS, DASHBOARD_JS } from './assets.js';
import { deploymentPage } from './deployment-page.js';
import { devicePage } from './device-page.js';
import { fleetPage } from './fleet-page.js';
import { html } from './html.js';
import { layout, loginPage, type Page } from './layout.js';

const COOKIE = 'ferry_hub_session';
const SESSION_MS = 12 * 60 * 60 * 1000;
const MAX_SESSIONS = 1000;

/**
 * Sign-in sessions, kept in the hub's database: they outlast a restart of the hub and hold on
 * every hub that shares the database. Only the SHA-256 of a cookie is stored, so a copy of the
 * database signs nobody in. The oldest go first when there are more than MAX_SESSIONS.
 */
export class Sessions {
  constructor(private readonly store: HubStore) {}

  async create(now: number): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    await this.store.addSession(tokenHash(id), now + SESSION_MS, now, MAX_SESSIONS);
    return id;
  }

  async valid(id: string | undefined, now: number): Promise<boolean> {
    return id !== undefined && this.store.sessionValid(tokenHash(id), now);
  }

  async drop(id: string | undefined): Promise<void> {
    if (id !== undefined) await this.store.dropSession(tokenHash(id));
  }
}

export function sessionOf(request: IncomingMessage): string | undefined {
  const cookies = (request.headers.cookie ?? '').split(';').map((c) => c.trim());
  return cookies.find((c) => c.startsWith(`${COOKIE}=`))?.slice(COOKIE.length + 1);
}

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const page = (status: number, text: string, headers: Record<string, string> = {}): Reply => ({
  status,
  text,
  contentType: 'text/html; charset=utf-8',
  headers: { ...SECURITY_HEADERS, ...headers },
});
const redirect = (to: string, headers: Record<string, string> = {}): Reply => ({
  status: 303,
  text: '',
  contentType: 'text/plain',
  headers: { ...SECURITY_HEADERS, location: to, ...headers },
});

export interface DashboardOptions extends OperatorApiOptions {
  readonly operatorToken: string;
  readonly sessions: Sessions;
}

/** The dashboard's answer to `route`, or undefined when it is not a dashboard route. */
export async function dashboardRoute(
  options: DashboardOptions,
  route: string,
  request: IncomingMessage,
  signedIn: boolean,
): Promise<Reply | undefined> {
  if (route === 'GET /assets/dashboard.js')
    return { status: 200, text: DASHBOARD_JS, contentType: 'text/javascript; charset=utf-8' };
  if (route === 'GET /assets/dashboard.css')
    return { status: 200, text: DASHBOARD_CSS, contentType: 'text/css; charset=utf-8' };
  if (route === 'GET /login') return page(200, loginPage());
  if (route === 'POST /login') return signIn(options, request);
  if (route === 'POST /logout') {
    await options.sessions.drop(sessionOf(request));
    return redirect('/login', { 'set-cookie': `${COOKIE}=; Path=/; Max-Age=0` });
  }
  const found = await pageFor(options, route, request);
  if (found === undefined) return undefined;
  if (!signedIn)
    return request.headers['x-ferry-fragment']
      ? { status: 401, json: { error: 'sign in again' } }
      : redirect('/login');
  if (found === 'missing') return page(404, layout({ title: 'Not found', live: notFound(route) }));
  return request.headers['x-ferry-fragment']
    ? page(200, found.live.text)
    : page(200, layout(found));
}

async function signIn(options: DashboardOptions, request: IncomingMessage): Promise<Reply> {
  const form = new URLSearchParams((await readBody(request, 4096)).toString('utf8'));
  if (!tokenMatches(`Bearer ${form.get('token') ?? ''}`, options.operatorToken))
    return page(401, loginPage('That is not the operator token.'));
  const secure = request.headers['x-forwarded-proto'] === 'https' ? '; Secure' : '';
  const id = await options.sessions.create(options.now());
  return redirect('/', {
    'set-cookie': `${COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MS / 1000}${secure}`,
  });
}

/** The page a route names, 'missing' for an unknown device, undefined for no page route. */
async function pageFor(
  options: DashboardOptions,
  route: string,
  request: IncomingMessage,
): Promise<Page | 'missing' | undefined> {
  const now = options.now();
  if (route === 'GET /') {
    const query = new URL(request.url ?? '/', 'http://hub').searchParams;
    const filter = filterOf(query);
    const devices = await allDevices(options);
    const shown = typeof filter === 'string' ? devices : devices.filter((d) => matches(d, filter));
    const value = (key: string) => query.get(key) ?? '';
    const fields = { selector: value('selector'), deployment: value('deployment') };
    const error = typeof filter === 'string' ? { error: filter } : {};
    const picked = { status: value('status'), online: value('online'), ...error };
    return fleetPage(shown, { ...fields, ...picked }, now);
  }
  const device = /^GET \/devices\/([A-Za-z0-9][A-Za-z0-9._-]*)$/.exec(route)?.[1];
  if (device) {
    const detail = await deviceDetail(options, device);
    return detail ? devicePage(detail, now) : 'missing';
  }
  const deployment = /^GET \/deployments\/([A-Za-z0-9][A-Za-z0-9._-]*)$/.exec(route)?.[1];
  if (deployment) {
    const devices = await allDevices(options);
    return deploymentPage(await deploymentDetail(options, deployment), devices, now);
  }
  return undefined;
}

const notFound = (route: string) =>
  html`<h1>Not found</h1>
    <p>${route}</p>`;
