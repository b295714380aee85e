// An OCI distribution client on Node's fetch. Written here rather than taken from a library:
// none on npm is maintained, speaks both auth flows, resumes blobs with Range and lets us count
// every byte. Loopback registries (127.0.0.0/8, as Docker does) and hosts listed as insecure are
// spoken to over plain HTTP, every other one over HTTPS.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { FerryError } from '../errors.js';
import type { ImageReference } from './image-reference.js';
import { MAX_MANIFEST_BYTES, readBounded } from './bounded-body.js';
import { withRetries } from './registry-retry.js';
import { MANIFEST_ACCEPT } from './media-types.js';
import {
  basicAuthorization,
  fetchToken,
  parseChallenge,
  TokenCache,
  type Credentials,
} from './registry-auth.js';

export interface RegistryClientOptions {
  readonly credentials?: (host: string) => Promise<Credentials | undefined>;
  readonly insecure?: readonly string[];
  /** Per upstream host, mirror base URLs tried first; upstream stays the fallback. */
  readonly mirrors?: Readonly<Record<string, readonly string[]>>;
  readonly retries?: number;
  readonly logger?: Logger;
  readonly sleep?: (ms: number) => Promise<void>;
  /** The HTTP port (Node's fetch); tests give a fake. */
  readonly fetch?: typeof fetch;
  /** 0 <= random < 1, for backoff jitter; tests fix it. */
  readonly random?: () => number;
}

export interface FetchedManifest {
  readonly mediaType: string;
  readonly digest: string;
  readonly bytes: Buffer;
}

const MAX_REDIRECTS = 5;

function isLoopback(host: string): boolean {
  const name = host.replace(/:\d+$/, '');
  return name === 'localhost' || name.startsWith('127.') || name === '[::1]';
}

export class RegistryClient {
  readonly #tokens = new TokenCache();
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #fetch: typeof fetch;
  readonly #random: () => number;

  constructor(private readonly options: RegistryClientOptions = {}) {
    this.#sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.#fetch = options.fetch ?? fetch;
    this.#random = options.random ?? Math.random;
  }

  /** Base URLs for a registry host: mirrors first, then the registry itself. */
  baseUrls(host: string): string[] {
    const insecure = isLoopback(host) || (this.options.insecure ?? []).includes(host);
    const upstream = `${insecure ? 'http' : 'https'}://${host === 'docker.io' ? 'registry-1.docker.io' : host}`;
    return [...(this.options.mirrors?.[host] ?? []), upstream];
  }

  /**
   * One registry request for `repository` on `host`, with auth, redirects, retries (network
   * errors and 5xx, exponential backoff) and mirror fallback. The response is not consumed.
   */
  async request(
    ref: Pick<ImageReference, 'host' | 'repository'>,
    path: string,
    init: RequestInit & { push?: boolean } = {},
  ): Promise<Response> {
    const bases = this.baseUrls(ref.host);
    let lastError: unknown;
    for (const [index, base] of bases.entries()) {
      const isMirror = index < bases.length - 1;
      try {
        // A failing mirror is skipped at once; the registry itself gets the retries.
        const response = await withRetries(() => this.#authorised(ref, base, path, init), {
          retries: isMirror ? 0 : (this.options.retries ?? 4),
          sleep: this.#sleep,
          random: this.#random,
          ...(init.signal ? { signal: init.signal } : {}),
        });
        if (isMirror && (response.status === 404 || response.status >= 500)) {
          await response.body?.cancel();
          continue;
        }
        return response;
      } catch (error) {
        // Cancelled (the pass moved on, or a deadline): the caller's reason, not "unreachable".
        if (init.signal?.aborted) throw init.signal.reason;
        // A refusal (bad credentials, say) is the registry's answer, not its absence.
        if (error instanceof FerryError && !error.retryable && !isMirror) throw error;
        lastError = error;
        if (!isMirror) break;
        this.options.logger?.warn(
          { event: 'registry.mirror_failed', mirror: base, reason: String(error) },
          'mirror failed; trying the next',
        );
      }
    }
    const reason = lastError instanceof Error ? lastError.message : String(lastError);
    throw new FerryError('FERRY_REGISTRY', `registry ${ref.host} unreachable: ${reason}`, {
      host: ref.host,
    });
  }

  async #authorised(
    ref: Pick<ImageReference, 'host' | 'repository'>,
    base: string,
    path: string,
    init: RequestInit & { push?: boolean },
  ): Promise<Response> {
    const scope = `repository:${ref.repository}:${init.push ? 'pull,push' : 'pull'}`;
    const key = `${base}|${scope}`;
    const send = (authorization?: string) => this.#follow(`${base}${path}`, init, authorization);
    let response = await send(this.#tokens.get(key));
    if (response.status !== 401) return response;
    const challenge = parseChallenge(response.headers.get('www-authenticate'));
    await response.body?.cancel();
    const credentials = await this.options.credentials?.(ref.host);
    let header: string | undefined;
    let expiresIn = 3600;
    if (challenge?.scheme === 'basic') {
      if (!credentials)
        throw new FerryError(
          'FERRY_REGISTRY',
          `registry ${ref.host} needs credentials (registry.auth)`,
          { host: ref.host },
        );
      header = basicAuthorization(credentials);
    } else if (challenge?.scheme === 'bearer') {
      const token = await fetchToken(
        challenge,
        challenge.params.scope ?? scope,
        credentials,
        this.#fetch,
      );
      header = `Bearer ${token.token}`;
      expiresIn = token.expiresIn ?? 60;
    }
    if (header) {
      this.#tokens.set(key, header, expiresIn);
      response = await send(header);
    }
    if (response.status === 401) {
      await response.body?.cancel();
      throw new FerryError(
        'FERRY_REGISTRY',
        `registry ${ref.host} refused the credentials for ${ref.repository}`,
        { host: ref.host },
      );
    }
    return response;
  }

  /** Follows redirects by hand so Authorization never leaks to another host (blob storage, CDN). */
  async #follow(
    url: string,
    init: RequestInit,
    authorization: string | undefined,
  ): Promise<Response> {
    let current = new URL(url);
    const origin = current.origin;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop += 1) {
      const headers = new Headers(init.headers);
      if (authorization && current.origin === origin) headers.set('authorization', authorization);
      const response = await this.#fetch(current, { ...init, headers, redirect: 'manual' });
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        current = new URL(location, current);
        continue;
      }
      return response;
    }
    throw new FerryError('FERRY_REGISTRY', `too many redirects from ${url}`);
  }

  /** GET a manifest or index; a pinned digest is verified against the bytes received. */
  async getManifest(
    ref: ImageReference,
    reference: string,
    signal?: AbortSignal,
  ): Promise<FetchedManifest> {
    const response = await this.request(ref, `/v2/${ref.repository}/manifests/${reference}`, {
      headers: { accept: MANIFEST_ACCEPT },
      ...(signal ? { signal } : {}),
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new FerryError(
        'FERRY_REGISTRY',
        `manifest ${ref.host}/${ref.repository}@${reference}: HTTP ${response.status}`,
        { status: response.status },
      );
    }
    const bytes = await readBounded(
      response,
      MAX_MANIFEST_BYTES,
      `manifest ${ref.host}/${ref.repository}@${reference}`,
    );
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw new FerryError(
        'FERRY_REGISTRY',
        `manifest ${ref.repository}@${reference} does not match its digest (got ${digest})`,
      );
    }
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
    return { mediaType, digest, bytes };
  }

  /** GET a blob, from byte `start` on (HTTP Range) when resuming. */
  async getBlob(
    ref: Pick<ImageReference, 'host' | 'repository'>,
    digest: string,
    start = 0,
    signal?: AbortSignal,
  ): Promise<Response> {
    const headers: Record<string, string> = start > 0 ? { range: `bytes=${start}-` } : {};
    const response = await this.request(ref, `/v2/${ref.repository}/blobs/${digest}`, {
      headers,
      ...(signal ? { signal } : {}),
    });
    if (response.status !== 200 && response.status !== 206) {
      await response.body?.cancel();
      throw new FerryError(
        'FERRY_REGISTRY',
        `blob ${digest.slice(0, 19)}: HTTP ${response.status}`,
        { status: response.status },
      );
    }
    return response;
  }
}
