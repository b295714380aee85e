// Which images ferryd fetched: reference -> image ID (config digest) and the tag it loaded them
// under. Lets a no-op pass skip the registry entirely, and lets GC remove only Ferry's images.
import { join } from 'node:path';
import { readJson, writeJsonAtomic } from '#kernel/atomic-json.js';

export interface CachedImage {
  readonly configDigest: string;
  readonly manifestDigest: string;
  readonly tag: string;
  readonly layers: number;
}

export class ImageCache {
  readonly #path: string;
  #entries: Record<string, CachedImage> | undefined;

  constructor(stateDir: string) {
    this.#path = join(stateDir, 'images.json');
  }

  async all(): Promise<Record<string, CachedImage>> {
    this.#entries ??= (await readJson<Record<string, CachedImage>>(this.#path)) ?? {};
    return this.#entries;
  }

  async set(reference: string, image: CachedImage): Promise<void> {
    const entries = { ...(await this.all()), [reference]: image };
    await writeJsonAtomic(this.#path, entries);
    this.#entries = entries;
  }

  async delete(reference: string): Promise<void> {
    const { [reference]: _gone, ...rest } = await this.all();
    await writeJsonAtomic(this.#path, rest);
    this.#entries = rest;
  }
}
