// The fetch stage: for each desired image, resolve it at the registry, diff its layers against
// the engine's, download only the missing blobs (bounded parallelism, resumable), verify them,
// and import each image with a thin `docker load`.
import { statfs } from 'node:fs/promises';
import type { Logger } from 'pino';
import { FerryError } from '#kernel/errors.js';
import type { BlobStore } from './blob-store.js';
import type { ImageCache } from './image-cache.js';
import type { ImageStore } from './image-store.js';
import { bytesToFetch, diffLayers, localChainIds, type LayerNeed } from '#kernel/oci/layer-diff.js';
import type { RegistryClient } from '#kernel/oci/registry-client.js';
import { resolveImage, type Platform, type RemoteImage } from '#kernel/oci/resolve-image.js';
import { ferryTag, loadThinImage } from './thin-image-load.js';

/** Unpacked layers take about this many times their compressed size on the engine's disk. */
const UNPACK_FACTOR = 3;

export interface FetchStats {
  readonly bytesDownloaded: number;
  readonly layers: { readonly downloaded: number; readonly reused: number };
  /** Reference -> image ID, for every image the engine now has. */
  readonly imageIds: ReadonlyMap<string, string>;
}

export interface FetcherOptions {
  readonly images: ImageStore;
  readonly client: RegistryClient;
  readonly blobs: BlobStore;
  readonly cache: ImageCache;
  readonly logger: Logger;
  readonly stateDir: string;
  readonly reserveBytes: number;
  readonly parallel: number;
  readonly maxBytesPerSecond?: number;
  /** Downloads slower than this over `slowWindowMs` are aborted (registry.minBytesPerSecond). */
  readonly minBytesPerSecond?: number;
  readonly slowWindowMs?: number;
  /** The longest one fetch may take (registry.downloadDeadline). */
  readonly deadlineMs?: number;
  /**
   * Count only the layers of images this daemon installed (its image cache) as present, as if
   * the engine were its own: for several simulated gateways sharing one engine.
   */
  readonly isolateLayers?: boolean;
  /** Download progress, for /status and a progress line on a terminal. */
  readonly onProgress?: (progress: DownloadProgress) => void;
}

export interface DownloadProgress {
  readonly bytes: number;
  readonly totalBytes: number;
  readonly layersDone: number;
  readonly layers: number;
}

export class ImageFetcher {
  constructor(private readonly options: FetcherOptions) {}

  /**
   * Image IDs of those `references` Ferry fetched before and the engine still has (no network).
   * The engine is asked for those images by their tags only: a no-op pass reads a few hundred
   * bytes, not a listing that grows with every image the engine holds.
   */
  async localImageIds(references: readonly string[]): Promise<Map<string, string>> {
    const cached = await this.options.cache.all();
    const known = [...new Set(references)].flatMap((r) => {
      const image = cached[r];
      return image ? [{ reference: r, image }] : [];
    });
    const ids = await this.options.images.taggedIds(known.map((k) => k.image.tag));
    return new Map(
      known
        .filter((k) => ids.has(k.image.configDigest))
        .map((k) => [k.reference, k.image.configDigest]),
    );
  }

  /**
   * Fetches what `references` need. `signal` cancels it (the pass moved on); past the deadline it
   * stops by itself. Partial downloads stay on disk and resume on the next pass.
   */
  async fetch(
    references: readonly string[],
    platform: Platform,
    signal?: AbortSignal,
  ): Promise<FetchStats> {
    const deadline = new AbortController();
    const { deadlineMs } = this.options;
    const timer =
      deadlineMs === undefined
        ? undefined
        : setTimeout(
            () =>
              deadline.abort(
                new FerryError(
                  'FERRY_REGISTRY',
                  `downloads passed registry.downloadDeadline (${deadlineMs / 1000} s); they resume on the next pass`,
                ),
              ),
            deadlineMs,
          );
    try {
      const stop = signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal;
      return await this.#fetch(references, platform, stop);
    } catch (error) {
      if (deadline.signal.aborted) throw deadline.signal.reason;
      if (signal?.aborted) throw signal.reason;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async #fetch(
    references: readonly string[],
    platform: Platform,
    signal: AbortSignal,
  ): Promise<FetchStats> {
    const { images, client, blobs, logger } = this.options;
    const imageIds = await this.localImageIds(references);
    const wanted = [...new Set(references)].filter((r) => !imageIds.has(r));
    const cached = await this.options.cache.all();
    let reused = [...new Set(references)]
      .filter((r) => imageIds.has(r))
      .reduce((n, r) => n + (cached[r]?.layers ?? 0), 0);
    if (wanted.length === 0) {
      await this.#sweep(new Set());
      return { bytesDownloaded: 0, layers: { downloaded: 0, reused }, imageIds };
    }

    const remote: RemoteImage[] = [];
    for (const reference of wanted)
      remote.push(await resolveImage(client, reference, platform, signal));
    const present = localChainIds(await this.#engineLayers());
    const plans = remote.map((image) => ({ image, needs: diffLayers(image.layers, present) }));
    const missing = uniqueMissing(plans.flatMap((p) => p.needs));
    // Partial downloads of layers still needed stay to resume; anything else in blobs/ goes.
    await this.#sweep(new Set(missing.map((m) => m.digest)));
    reused += plans.reduce((n, p) => n + p.needs.filter((l) => l.present).length, 0);
    let remaining = bytesToFetch(missing);
    for (const need of missing) remaining -= await blobs.bytesOnDisk(need.digest);
    await this.#guardDisk(remaining);
    logger.info(
      {
        event: 'download.planned',
        images: wanted.length,
        layers: missing.length,
        bytes: remaining,
      },
      'downloading missing layers',
    );

    const bytesDownloaded = await this.#download(plans, missing, remaining, signal);

    for (const { image, needs } of plans) {
      await loadThinImage(images, image, needs, blobs);
      await this.options.cache.set(image.reference, {
        configDigest: image.configDigest,
        manifestDigest: image.manifestDigest,
        tag: ferryTag(image),
        layers: image.layers.length,
      });
      imageIds.set(image.reference, image.configDigest);
      logger.info(
        { event: 'image.loaded', image: image.reference, id: image.configDigest },
        'image loaded',
      );
    }
    for (const need of missing) await blobs.remove(need.digest);
    return { bytesDownloaded, layers: { downloaded: missing.length, reused }, imageIds };
  }

  /** Downloads and verifies the missing layers, `parallel` at a time; returns the bytes. */
  async #download(
    plans: readonly { image: RemoteImage; needs: readonly LayerNeed[] }[],
    missing: readonly LayerNeed[],
    totalBytes: number,
    signal: AbortSignal,
  ): Promise<number> {
    const { client, blobs, logger } = this.options;
    let bytes = 0;
    let layersDone = 0;
    const report = () =>
      this.options.onProgress?.({ bytes, totalBytes, layersDone, layers: missing.length });
    const downloadOne = async (need: LayerNeed) => {
      const image = plans.find((p) => p.needs.includes(need))!.image;
      await blobs.download(client, image.ref, need, {
        onBytes: (n) => {
          bytes += n;
          report();
        },
        ...this.#pace(),
        signal,
      });
      await blobs.verifyDiffId(need.digest, need.diffId);
      layersDone += 1;
      report();
      logger.info(
        { event: 'layer.downloaded', digest: need.digest, size: need.size },
        'layer downloaded',
      );
    };
    await inParallel(missing, this.options.parallel, downloadOne);
    return bytes;
  }

  /** The download speed limits: a cap, and the floor below which a download is given up. */
  #pace() {
    const { maxBytesPerSecond, minBytesPerSecond, slowWindowMs } = this.options;
    return {
      ...(maxBytesPerSecond ? { maxBytesPerSecond } : {}),
      ...(minBytesPerSecond && slowWindowMs ? { minBytesPerSecond, slowWindowMs } : {}),
    };
  }

  async #sweep(keep: ReadonlySet<string>): Promise<void> {
    const freed = await this.options.blobs.sweep(keep);
    if (freed > 0)
      this.options.logger.info(
        { event: 'blobs.swept', bytes: freed },
        'removed downloads nothing needs any more',
      );
  }

  async #engineLayers(): Promise<(readonly string[])[]> {
    const { images } = this.options;
    let ids = [...(await images.imageIds())];
    if (this.options.isolateLayers) {
      const own = new Set(Object.values(await this.options.cache.all()).map((i) => i.configDigest));
      ids = ids.filter((id) => own.has(id));
    }
    const layers: (readonly string[])[] = [];
    for (const id of ids) {
      const found = await images.layersOf(id);
      if (found) layers.push(found);
    }
    return layers;
  }

  /** Refuses, before downloading anything, when the download would eat into the reserve. */
  async #guardDisk(bytes: number): Promise<void> {
    const { images, stateDir, reserveBytes } = this.options;
    const engineRoot = await images.dataRoot();
    for (const [path, needed] of [
      [stateDir, bytes],
      [engineRoot, bytes * UNPACK_FACTOR],
    ] as const) {
      const fs = await statfs(path).catch(() => undefined);
      if (!fs) continue;
      const free = fs.bavail * fs.bsize;
      if (free - needed < reserveBytes) {
        const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
        throw new FerryError(
          'FERRY_DISK',
          `not enough disk in ${path}: the update needs ${mib(needed)}, ${mib(free)} free, ${mib(reserveBytes)} reserved`,
          { path, needed, free, reserveBytes },
        );
      }
    }
  }
}

function uniqueMissing(needs: readonly LayerNeed[]): LayerNeed[] {
  const byDigest = new Map<string, LayerNeed>();
  for (const need of needs)
    if (!need.present && !byDigest.has(need.digest)) byDigest.set(need.digest, need);
  return [...byDigest.values()];
}

async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(workers);
}
