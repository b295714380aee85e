// Layer blobs downloaded into the state directory: resumed with HTTP Range after any interruption
// (reset link, registry 5xx, ferryd killed and restarted), verified while streaming against the
// compressed digest and afterwards against the uncompressed diff_id. A blob that fails either
// check is deleted and never imported.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { FerryError } from '../../../schema/src/errors.js';
import type { ImageReference } from './image-reference.js';
import type { RegistryClient } from './registry-client.js';

/** Consecutive attempts without a single new byte before a download gives up for this pass. */
const MAX_STALLED_ATTEMPTS = 5;

export interface DownloadOptions {
  /** Called with every chunk's size as it arrives (for bytesDownloaded and progress). */
  readonly onBytes?: (bytes: number) => void;
  readonly maxBytesPerSecond?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

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
    let offset = start;
    if (start < blob.size) {
      const response = await client.getBlob(ref, blob.digest, start);
      if (start > 0 && response.status === 200) {
        // The server ignored Range: start over rather than append a second copy.
        await response.body?.cancel();
        await rm(partial, { force: true });
        return this.#attempt(client, ref, blob, options, sleep);
      }
      const file = await open(partial, 'a');
      const began = Date.now();
      let received = 0;
      try {
        for await (const chunk of response.body ?? []) {
          const bytes = chunk as Uint8Array;
          hash.update(bytes);
          await file.write(bytes);
          offset += bytes.length;
          received += bytes.length;
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
    }
    if (offset !== blob.size) throw new Error(`received ${offset} of ${blob.size} bytes`);
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
