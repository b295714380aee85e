// What the builder keeps on disk between builds: compressed layer blobs keyed by what they were
// made from (the engine's layer and how it was treated), and the engine's image configs by image
// ID. A rebuild then reads and gzips only layers it has never seen: a 115 MiB base cost 2.4 s of
// gzip on every build before this cache.
// Layout: `index/<key>.json` -> { diffId, digest, size }; `blobs/<digest hex>` the gzip bytes;
// `configs/<image id hex>.json` the engine's config of a built image.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { FerryError } from '#kernel/errors.js';

export interface CachedBlob {
  /** sha256 of the uncompressed tar. */
  readonly diffId: string;
  /** sha256 of the gzip bytes. */
  readonly digest: string;
  /** Bytes of the gzip. */
  readonly size: number;
  /** Where the gzip bytes are. */
  readonly file: string;
}

/** The default place: `$XDG_CACHE_HOME/ferry`, else `~/.cache/ferry`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'ferry');
}

const hex = (digest: string) => digest.replace(/^sha256:/, '');

/** Hashes what passes through it. */
function hashing(hash: ReturnType<typeof createHash>, count: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      count.bytes += chunk.length;
      done(null, chunk);
    },
  });
}

export class BuildCache {
  readonly #index: string;
  readonly #blobs: string;
  readonly #configs: string;

  /** True when this process created the cache (a cold builder: nothing kept from earlier builds). */
  fresh = false;

  private constructor(readonly dir: string) {
    this.#index = join(dir, 'index');
    this.#blobs = join(dir, 'blobs');
    this.#configs = join(dir, 'configs');
  }

  static async open(dir: string): Promise<BuildCache> {
    const cache = new BuildCache(dir);
    cache.fresh = !(await stat(cache.#index).catch(() => undefined));
    for (const sub of [cache.#index, cache.#blobs, cache.#configs])
      await mkdir(sub, { recursive: true }).catch((error: Error) => {
        throw new FerryError('FERRY_DISK', `build cache ${dir}: ${error.message}`, { dir });
      });
    await sweepScratch(cache.#blobs);
    return cache;
  }

  /** Where a build keeps files in transit (swept when a killed build left them). */
  get scratch(): string {
    return this.#blobs;
  }

  /** The engine's config of a built image, if an earlier build read it. */
  async getConfig(imageId: string): Promise<Record<string, unknown> | undefined> {
    const text = await readFile(join(this.#configs, `${hex(imageId)}.json`), 'utf8').catch(
      () => undefined,
    );
    // The image ID is the config's sha256: a damaged file is simply not used.
    if (!text || `sha256:${createHash('sha256').update(text).digest('hex')}` !== imageId)
      return undefined;
    return JSON.parse(text) as Record<string, unknown>;
  }

  async putConfig(imageId: string, bytes: Buffer): Promise<void> {
    await writeFile(join(this.#configs, `${hex(imageId)}.json`), bytes);
  }

  /** The blob stored under `key`, if its bytes are still there. */
  async get(key: string): Promise<CachedBlob | undefined> {
    const text = await readFile(join(this.#index, `${key}.json`), 'utf8').catch(() => undefined);
    if (!text) return undefined;
    let entry: Omit<CachedBlob, 'file'>;
    try {
      entry = JSON.parse(text) as Omit<CachedBlob, 'file'>;
    } catch {
      return undefined; // damaged (it is written by rename, so only by hand): compressed again
    }
    const file = join(this.#blobs, hex(entry.digest));
    const found = await stat(file).catch(() => undefined);
    if (found?.size !== entry.size) return undefined;
    // Mark as used, so that pruning by age keeps what builds still need.
    const now = new Date();
    await utimes(file, now, now).catch(() => undefined);
    return { ...entry, file };
  }

  /**
   * Compresses `tar` (gzip level 6, no name, zero time: the same bytes on every machine) into the
   * cache under `key`, streaming, and returns it. The uncompressed tar's sha256 is its diff_id.
   */
  async put(key: string, tar: Buffer): Promise<CachedBlob> {
    const tmp = join(this.#blobs, `.tmp-${randomBytes(6).toString('hex')}`);
    const diffHash = createHash('sha256');
    const blobHash = createHash('sha256');
    const compressed = { bytes: 0 };
    try {
      await pipeline(
        Readable.from(chunks(tar)),
        hashing(diffHash, { bytes: 0 }),
        createGzip({ level: 6 }),
        hashing(blobHash, compressed),
        createWriteStream(tmp),
      );
      const entry = {
        diffId: `sha256:${diffHash.digest('hex')}`,
        digest: `sha256:${blobHash.digest('hex')}`,
        size: compressed.bytes,
      };
      const file = join(this.#blobs, hex(entry.digest));
      await rename(tmp, file);
      // Blob first, then its index entry, each by rename: a kill leaves at worst an unused blob.
      const index = join(this.#index, `${key}.json`);
      await writeFile(`${index}.tmp`, JSON.stringify(entry));
      await rename(`${index}.tmp`, index);
      return { ...entry, file };
    } catch (error) {
      await rm(tmp, { force: true });
      throw new FerryError('FERRY_DISK', `build cache ${this.dir}: ${(error as Error).message}`, {
        dir: this.dir,
      });
    }
  }
}

/** 1 MiB slices of a buffer, so the gzip stream sees steady input without copying. */
function* chunks(buffer: Buffer): Generator<Buffer> {
  const size = 1 << 20;
  for (let offset = 0; offset < buffer.length; offset += size)
    yield buffer.subarray(offset, offset + size);
}

/** Scratch files older than this were left by a build that was killed (a running one is younger). */
const SCRATCH_MAX_AGE_MS = 60 * 60 * 1000;

/** Removes what killed builds left: partial blobs, spilled layers, copies in transit. */
export async function sweepScratch(dir: string): Promise<void> {
  const now = Date.now();
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith('.')) continue;
    const found = await stat(join(dir, name)).catch(() => undefined);
    if (found && now - found.mtimeMs > SCRATCH_MAX_AGE_MS)
      await rm(join(dir, name), { force: true }).catch(() => undefined);
  }
}
