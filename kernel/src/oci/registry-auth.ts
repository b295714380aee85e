// Registry authentication as the distribution spec and Docker do it: a 401 carries a
// `WWW-Authenticate` challenge, Basic (send credentials) or Bearer (get a token from the realm,
// for a scope, with the credentials if any). Tokens are cached until shortly before they expire.
import { FerryError } from '../errors.js';
import { MAX_TOKEN_BYTES, readBounded } from './bounded-body.js';

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

export interface Challenge {
  readonly scheme: 'basic' | 'bearer';
  readonly params: Readonly<Record<string, string>>;
}

export function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const match = /^(\w+)\s*(.*)$/s.exec(header.trim());
  if (!match) return undefined;
  const scheme = match[1]!.toLowerCase();
  if (scheme !== 'basic' && scheme !== 'bearer') return undefined;
  const params: Record<string, string> = {};
  for (const [, key, quoted, bare] of (match[2] ?? '').matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) {
    params[key!.toLowerCase()] = quoted ?? bare ?? '';
  }
  return { scheme, params };
}

export function basicAuthorization(credentials: Credentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

interface CachedToken {
  readonly header: string;
  readonly expiresAt: number;
}

/** Authorization headers (Bearer tokens, or Basic) by (registry, scope), with an expiry. */
export class TokenCache {
  readonly #tokens = new Map<string, CachedToken>();

  constructor(private readonly now: () => number = Date.now) {}

  get(key: string): string | undefined {
    const token = this.#tokens.get(key);
    if (!token || token.expiresAt <= this.now()) return undefined;
    return token.header;
  }

  /** `expiresIn` seconds as the token endpoint says (default 60, per the token spec). */
  set(key: string, header: string, expiresIn = 60): void {
    // Refresh a little early so a token never expires in the middle of a request.
    this.#tokens.set(key, { header, expiresAt: this.now() + Math.max(expiresIn - 10, 1) * 1000 });
  }

  forget(key: string): void {
    this.#tokens.delete(key);
  }
}

/** Fetches a bearer token for `scope` from the challenge's realm. */
export async function fetchToken(
  challenge: Challenge,
  scope: string,
  credentials: Credentials | undefined,
  http: typeof fetch = fetch,
): Promise<{ token: string; expiresIn?: number }> {
  const realm = challenge.params.realm;
  if (!realm) throw new FerryError('FERRY_REGISTRY', 'bearer challenge without a realm');
  const url = new URL(realm);
  if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
  url.searchParams.set('scope', scope);
  const response = await http(
    url,
    credentials ? { headers: { authorization: basicAuthorization(credentials) } } : {},
  );
  if (!response.ok) {
    await response.body?.cancel();
    // 401/403: the credentials are refused, and asking again will not change that.
    throw new FerryError(
      'FERRY_REGISTRY',
      `token endpoint ${url.origin}${url.pathname} answered ${response.status}${response.status === 401 || response.status === 403 ? ' (credentials refused)' : ''}`,
      { status: response.status },
      { retryable: response.status >= 500 || response.status === 429 },
    );
  }
  const body = JSON.parse(
    (await readBounded(response, MAX_TOKEN_BYTES, `token from ${url.origin}`)).toString('utf8'),
  ) as {
    token?: string;
    access_token?: string;
    expires_in?: number;
  };
  const token = body.token ?? body.access_token;
  if (!token) throw new FerryError('FERRY_REGISTRY', 'token endpoint returned no token');
  return { token, ...(body.expires_in === undefined ? {} : { expiresIn: body.expires_in }) };
}
