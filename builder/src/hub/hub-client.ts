// The hub's API as the CLI reads it (ferry status, ferry plan --hub): the operator token from a
// file or FERRY_HUB_TOKEN, a deadline on every request, and an error that says what to fix.
import { readFile } from 'node:fs/promises';
import { FerryError } from '#kernel/errors.js';
import { readResponseText } from '#kernel/http/read-body.js';
import { MAX_PAGE } from './device-pages.js';
import type { DeviceView } from './hub-views.js';

export interface HubClientOptions {
  readonly url: string;
  readonly tokenFile?: string;
  /** The token itself (the hub's own controller has it in memory). */
  readonly token?: string;
}

const TIMEOUT_MS = 30_000;
/** The largest answer read: a page of 1,000 devices is about 1 MiB. */
const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
};

export async function operatorToken(options: HubClientOptions): Promise<string> {
  if (options.token) return options.token;
  if (options.tokenFile)
    return (
      await readFile(options.tokenFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
        throw new FerryError(
          'FERRY_USAGE',
          `cannot read --token-file ${options.tokenFile}: ${error.code ?? error.message}`,
        );
      })
    ).trim();
  const token = process.env.FERRY_HUB_TOKEN?.trim();
  if (!token)
    throw new FerryError(
      'FERRY_USAGE',
      'the hub needs the operator token: --token-file FILE or FERRY_HUB_TOKEN',
    );
  return token;
}

export async function hubRequest<T>(
  options: HubClientOptions,
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<T> {
  const url = new URL(path, options.url);
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${await operatorToken(options)}`,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  }).catch((error: unknown) => {
    throw new FerryError('FERRY_SOURCE', `hub ${url.origin} not reached: ${String(error)}`, {
      url: url.origin,
    });
  });
  const text = await readResponseText(response, MAX_ANSWER_BYTES);
  if (text === undefined)
    throw new FerryError(
      'FERRY_SOURCE',
      `hub ${url.origin}${url.pathname}: the answer is larger than ${MAX_ANSWER_BYTES} bytes`,
      { url: url.origin },
    );
  const body = parseJson(text) as T & { error?: string };
  if (!response.ok)
    throw new FerryError(
      response.status === 401 || response.status === 400 ? 'FERRY_USAGE' : 'FERRY_SOURCE',
      `hub ${url.origin}${url.pathname}: ${response.status} ${body.error ?? response.statusText}`,
      { url: url.origin },
    );
  return body;
}

export interface DeviceQuery {
  readonly selector?: string;
  readonly deployment?: string;
  readonly status?: string;
  readonly online?: string;
}

export async function hubDevices(
  options: HubClientOptions,
  query: DeviceQuery = {},
): Promise<DeviceView[]> {
  const devices: DeviceView[] = [];
  let after: string | undefined;
  // Page by page (device-pages.ts), so that no answer grows with the fleet.
  do {
    const params = new URLSearchParams(
      Object.entries(query).filter((e): e is [string, string] => typeof e[1] === 'string'),
    );
    params.set('limit', String(MAX_PAGE));
    if (after !== undefined) params.set('after', after);
    const page = await hubRequest<{ devices: DeviceView[]; next?: string }>(
      options,
      `/api/v1/devices?${params.toString()}`,
    );
    devices.push(...page.devices);
    if (page.next !== undefined && after !== undefined && page.next <= after)
      throw new FerryError('FERRY_SOURCE', `hub ${options.url}: pages of devices do not advance`);
    after = page.next;
  } while (after !== undefined);
  return devices;
}
