// Layer blobs downloaded into the state directory: resumed with HTTP Range after any interruption
// (reset link, registry 5xx, ferryd killed and restarted), verified while streaming against the
// compressed digest and afterwards against the uncompressed diff_id. A blob that fails either
// check is deleted and never imported.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { FerryError } from '#kernel/errors.js';
import type { ImageReference } from '#kernel/oci/image-reference.js';
import type { RegistryClient } from '#kernel/oci/registry-client.js';

/** Consecutive attempts without a single new byte before a download gives up for this pass. */
const MAX_STALLED_ATTEMPTS = 5;

export interface DownloadOptions {
  /** Called with every chunk's size as it arrives (for bytesDownloaded and progress). */
  readonly onBytes?: (bytes: number) => void;
  readonly maxBytesPerSecond?: number;
  /** Aborts the download with the signal's reason (the partial file stays, to resume later). */
  readonly signal?: AbortSignal;
  /** Fewer bytes than this per second over `slowWindowMs` abort the download as too slow. */
  readonly minBytesPerSecond?: number;
  readonly slowWindowMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A download stopped on purpose (cancelled, past a deadline, too slow): not retried. */
export class DownloadStopped extends FerryError {}

export class BlobStore {
  constructor(readonly dir: string) {}

  path(digest: string): string {
    return join(this.dir, digest.replace(':', '-'));
  }

  #partial(digest: string): string {
    return `${this.path(digest)}.partial`;
  }

  async has(digest: string): Promise<boolean> {
    return (await stat(this.path(digest)).catch(() => undefined))?.isFile() ?? false;
  }

  /** Bytes of `digest` already on disk (complete or partial). */
  async bytesOnDisk(digest: string): Promise<number> {
    const complete = await stat(this.path(digest)).catch(() => undefined);
    if (complete) return complete.size;
    return (await stat(this.#partial(digest)).catch(() => undefined))?.size ?? 0;
  }

  async remove(digest: string): Promise<void> {
    await rm(this.path(digest), { force: true });
    await rm(this.#partial(digest), { force: true });
  }

  /**
   * Removes every blob and partial download but those of `keep`: what an abandoned download (the
   * fleet moved on, a kill right after an import) left behind. Returns the bytes freed.
   */
  async sweep(keep: ReadonlySet<string>): Promise<number> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const kept = new Set([...keep].map((d) => d.replace(':', '-')));
    let freed = 0;
    for (const name of names) {
      if (kept.has(name.replace(/\.partial$/, ''))) continue;
      const path = join(this.dir, name);
      freed += (await stat(path).catch(() => undefined))?.size ?? 0;
      await rm(path, { force: true, recursive: true });
    }
    return freed;
  }

  /** Downloads a blob to completion (resuming as needed) and verifies its compressed digest. */
  async download(
    client: RegistryClient,
    ref: Pick<ImageReference, 'host' | 'repository'>,
    blob: { digest: string; size: number },
    options: DownloadOptions = {},
  ): Promise<void> {
    if (await this.has(blob.digest)) return;
    await mkdir(this.dir, { recursive: true });
    const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    let stalled = 0;
    let lastError: unknown;
    while (stalled < MAX_STALLED_ATTEMPTS) {
      const before = await this.bytesOnDisk(blob.digest);
      try {
        await this.#attempt(client, ref, blob, options, sleep);
        return;
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason;
        if (error instanceof DownloadStopped) throw error;
        if (error instanceof FerryError && error.code === 'FERRY_INVALID') throw error;
        lastError = error;
      }
      stalled = (await this.bytesOnDisk(blob.digest)) > before ? 0 : stalled + 1;
      await sleep(Math.min(200 * 2 ** stalled, 5000));
    }
    const reason = lastError instanceof Error ? lastError.message : String(lastError);
    throw new FerryError(
      'FERRY_REGISTRY',
      `download of ${blob.digest.slice(0, 19)} stalled: ${reason}`,
      { digest: blob.digest },
    );
  }

  async #attempt(
    client: RegistryClient,
    ref: Pick<ImageReference, 'host' | 'repository'>,
    blob: { digest: string; size: number },
    options: DownloadOptions,
    sleep: (ms: number) => Promise<void>,
  ): Promise<void> {
    const partial = this.#partial(blob.digest);
    let start = (await stat(partial).catch(() => undefined))?.size ?? 0;
    if (start > blob.size) {
      await rm(partial, { force: true });
      start = 0;
    }
    const hash = createHash('sha256');
    if (start > 0) await hashFile(partial, hash);
    let offset: number | typeof RESTART = start;
    if (start < blob.size) {
      const watchdog = new SlowWatchdog(blob.digest, options);
      try {
        offset = await this.#receive(client, ref, blob, { options, sleep, hash, start, watchdog });
      } catch (error) {
        if (watchdog.signal.aborted && !options.signal?.aborted) throw watchdog.signal.reason;
        throw error;
      } finally {
        watchdog.stop();
      }
    }
    if (offset === RESTART) return this.#attempt(client, ref, blob, options, sleep);
    if (offset !== blob.size)
      throw new FerryError(
        'FERRY_REGISTRY',
        `received ${offset} of ${blob.size} bytes`,
        { digest: blob.digest },
        { retryable: true },
      );
    const digest = `sha256:${hash.digest('hex')}`;
    if (digest !== blob.digest) {
      await rm(partial, { force: true });
      throw new FerryError(
        'FERRY_INVALID',
        `blob ${blob.digest.slice(0, 19)} is corrupt: its bytes hash to ${digest.slice(0, 19)}`,
        { digest: blob.digest },
      );
    }
    await rename(partial, this.path(blob.digest));
  }

  /** Appends the rest of a blob from `start` to its partial file; the offset reached. */
  async #receive(
    client: RegistryClient,
    ref: Pick<ImageReference, 'host' | 'repository'>,
    blob: { digest: string; size: number },
    at: {
      options: DownloadOptions;
      sleep: (ms: number) => Promise<void>;
      hash: Hash;
      start: number;
      watchdog: SlowWatchdog;
    },
  ): Promise<number | typeof RESTART> {
    const { options, sleep, hash, start, watchdog } = at;
    const partial = this.#partial(blob.digest);
    const response = await client.getBlob(ref, blob.digest, start, watchdog.signal);
    if (start > 0 && response.status === 200) {
      // The server ignored Range: start over rather than append a second copy.
      await response.body?.cancel();
      await rm(partial, { force: true });
      return RESTART;
    }
    let offset = start;
    const file = await open(partial, 'a');
    const began = Date.now();
    let received = 0;
    let tooMuch = false;
    try {
      for await (const chunk of response.body ?? []) {
        const bytes = chunk as Uint8Array;
        if (offset + bytes.length > blob.size) {
          // More than the manifest promised: never written, and the partial file goes.
          await response.body?.cancel().catch(() => undefined);
          tooMuch = true;
          break;
        }
        hash.update(bytes);
        await file.write(bytes);
        offset += bytes.length;
        received += bytes.length;
        watchdog.received(bytes.length);
        options.onBytes?.(bytes.length);
        if (options.maxBytesPerSecond) {
          const due = (received / options.maxBytesPerSecond) * 1000 - (Date.now() - began);
          if (due > 0) await sleep(due);
        }
      }
    } finally {
      await file.sync().catch(() => undefined);
      await file.close();
    }
    if (tooMuch) {
      await rm(partial, { force: true });
      throw new FerryError(
        'FERRY_INVALID',
        `blob ${blob.digest.slice(0, 19)}: the registry sent more than its ${blob.size} bytes; refused`,
        { digest: blob.digest },
      );
    }
    return offset;
  }

  /** Checks that the (gzip) blob unpacks to `diffId`; a mismatch deletes it. */
  async verifyDiffId(digest: string, diffId: string): Promise<void> {
    const hash = createHash('sha256');
    const head = Buffer.alloc(2);
    const file = await open(this.path(digest), 'r');
    await file.read(head, 0, 2, 0);
    await file.close();
    const gzipped = head[0] === 0x1f && head[1] === 0x8b;
    const source = createReadStream(this.path(digest));
    if (gzipped)
      await pipeline(source, createGunzip(), async (chunks: AsyncIterable<Buffer>) => {
        for await (const chunk of chunks) hash.update(chunk);
      });
    else await hashFile(this.path(digest), hash);
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== diffId) {
      await this.remove(digest);
      throw new FerryError(
        'FERRY_INVALID',
        `layer ${digest.slice(0, 19)} unpacks to ${actual.slice(0, 19)}, not its diff_id ${diffId.slice(0, 19)}`,
        { digest },
      );
    }
  }
}

async function hashFile(path: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

const RESTART = Symbol('restart');

/**
 * Aborts a download that receives fewer than `minBytesPerSecond` over a whole `slowWindowMs`
 * (a registry trickling one byte a second would otherwise hold a pass for days), and passes on
 * the caller's cancellation.
 */
class SlowWatchdog {
  readonly #controller = new AbortController();
  readonly signal: AbortSignal;
  readonly #timer: NodeJS.Timeout | undefined;
  /** Bytes received per quarter window, newest last. */
  readonly #quarters: number[] = [0];

  constructor(digest: string, options: DownloadOptions) {
    this.signal = options.signal
      ? AbortSignal.any([options.signal, this.#controller.signal])
      : this.#controller.signal;
    const { minBytesPerSecond: min, slowWindowMs: window } = options;
    if (!min || !window) return;
    this.#timer = setInterval(() => {
      if (this.#quarters.length === 4) {
        const got = this.#quarters.reduce((a, b) => a + b, 0);
        if (got < (min * window) / 1000) {
          this.#controller.abort(
            new DownloadStopped(
              'FERRY_REGISTRY',
              `download of ${digest.slice(0, 19)} too slow: ${got} bytes in ${window / 1000} s (registry.minBytesPerSecond is ${min}); it resumes on the next pass`,
              { digest },
            ),
          );
          return this.stop();
        }
        this.#quarters.shift();
      }
      this.#quarters.push(0);
    }, window / 4);
    this.#timer.unref();
  }

  received(bytes: number): void {
    this.#quarters[this.#quarters.length - 1]! += bytes;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
