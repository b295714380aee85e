// Polling the beacon instead of the git server (kernel/src/trust/beacon.ts): a conditional GET
// (If-None-Match), bounded and with a deadline; a new beacon is verified and remembered in
// state.dir/beacon.json (written only when a new one arrives). An expired beacon, or one that can
// no longer be fetched past its expiry, means the gateway may be frozen on a stale state.
import { join } from 'node:path';
import { FerryError } from '#kernel/errors.js';
import { readResponseText } from '#kernel/http/read-body.js';
import { beaconKey, MAX_BEACON_BYTES, verifyBeacon } from '#kernel/trust/beacon.js';
import { readJson, writeJsonAtomic } from '#kernel/atomic-json.js';

export interface BeaconOptions {
  readonly url: string;
  readonly publicKey: string;
  readonly branch: string;
  readonly stateDir: string;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

interface Remembered {
  readonly sequence: number;
  readonly commit: string;
  readonly expiresAt: string;
  readonly etag?: string;
}

export interface BeaconLook {
  readonly commit: string;
  readonly sequence: number;
  readonly expiresAt: string;
  /** Past its expiry: the gateway may be held on a stale state, and applies nothing new. */
  readonly frozen: boolean;
}

export class BeaconWatch {
  readonly #file: string;
  readonly #key: Buffer;

  constructor(private readonly options: BeaconOptions) {
    this.#file = join(options.stateDir, 'beacon.json');
    this.#key = beaconKey(options.publicKey);
  }

  /** What the beacon says now; throws FERRY_BEACON when it is refused. */
  async look(): Promise<BeaconLook> {
    const now = (this.options.now ?? Date.now)();
    const known = await readJson<Remembered>(this.#file);
    const answer = await this.#get(known?.etag).catch((error: unknown) => error as Error);
    if (answer instanceof Error || answer.status >= 500) {
      // Unreachable: what was known holds until it expires.
      if (known && now >= Date.parse(known.expiresAt)) return { ...known, frozen: true };
      throw new FerryError(
        'FERRY_SOURCE',
        `beacon ${this.options.url} not reached: ${answer instanceof Error ? answer.message : answer.status}`,
        { url: this.options.url },
      );
    }
    if (answer.status === 304 && known)
      return { ...known, frozen: now >= Date.parse(known.expiresAt) };
    if (answer.status !== 200 || answer.text === undefined)
      throw this.#refused(
        `answered ${answer.status}${answer.text === undefined ? ' (too large)' : ''}`,
      );
    const verdict = verifyBeacon(answer.text, {
      key: this.#key,
      branch: this.options.branch,
      lastSequence: known?.sequence ?? 0,
      now,
    });
    if (!verdict.ok) throw this.#refused(verdict.reason);
    const { commit, sequence, expiresAt } = verdict.beacon;
    if (!known || known.sequence !== sequence || known.etag !== answer.etag)
      await writeJsonAtomic(this.#file, {
        sequence,
        commit,
        expiresAt,
        ...(answer.etag ? { etag: answer.etag } : {}),
      });
    return { commit, sequence, expiresAt, frozen: verdict.expired };
  }

  #refused(reason: string): FerryError {
    return new FerryError('FERRY_BEACON', `beacon ${this.options.url} refused: ${reason}`, {
      url: this.options.url,
    });
  }

  async #get(etag: string | undefined) {
    const response = await (this.options.fetch ?? fetch)(this.options.url, {
      headers: etag ? { 'if-none-match': etag } : {},
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
    });
    const etagOut = response.headers.get('etag') ?? undefined;
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      return { status: response.status, etag: etagOut, text: undefined };
    }
    const declared = Number(response.headers.get('content-length') ?? 0);
    if (declared > MAX_BEACON_BYTES) {
      await response.body?.cancel().catch(() => undefined);
      return { status: 200, etag: etagOut, text: undefined };
    }
    const text = await readResponseText(response, MAX_BEACON_BYTES);
    return { status: 200, etag: etagOut, text };
  }
}
