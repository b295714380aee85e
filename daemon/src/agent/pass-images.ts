// The images of one pass, through Ferry's fetch stage: the pass's own fetch (stats, cancellable)
// and any image a rollback needs that the engine no longer has. There is no other download path.
import type { ImageSupply } from '../apply/execute-steps.js';
import type { FetchStats, ImageFetcher } from '../fetch/image-fetcher.js';
import type { Platform } from '#kernel/oci/resolve-image.js';

export class PassImages implements ImageSupply {
  #ids = new Map<string, string>();

  constructor(
    private readonly fetcher: ImageFetcher,
    private readonly platform: Platform,
  ) {}

  /** Fetches what the pass's images lack; afterwards every image the engine has is known. */
  async fetchAll(references: readonly string[], signal?: AbortSignal): Promise<FetchStats> {
    const stats = await this.fetcher.fetch(references, this.platform, signal);
    this.#ids = new Map(stats.imageIds);
    return stats;
  }

  async fetch(references: readonly string[]): Promise<void> {
    const stats = await this.fetcher.fetch(references, this.platform);
    for (const [reference, id] of stats.imageIds) this.#ids.set(reference, id);
  }

  idOf(reference: string): string | undefined {
    return this.#ids.get(reference);
  }
}
