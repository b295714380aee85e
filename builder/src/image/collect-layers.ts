// Gathers the layers of one built image as layer-plan.ts decides: blobs from the base's registry
// or the pinned image where they serve, the rest from the build cache, reading the engine's image
// (through the stage registry, or `docker save`) only for layers the cache has never seen.
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { MEDIA } from '#kernel/oci/media-types.js';
import { FerryError } from '#kernel/errors.js';
import { stepName, type AssembledLayer, type EngineConfig } from './assemble-image.js';
import type { BaseLayers } from './base-layers.js';
import type { BuildCache, CachedBlob } from '../pipeline/build-cache.js';
import { cacheKey, planLayers, type LayerSource, type PinnedLayers } from './layer-plan.js';
import { normalizeTar } from './normalize-layer.js';
import { readSavedImage, type SaveHandlers } from '../engine/saved-image.js';
import type { StageRegistry } from '../engine/stage-registry.js';
import { readStagedImage } from '../engine/staged-image.js';
import { stepKeys } from '../dockerfile/step-keys.js';

export interface CollectInput {
  readonly docker: Docker;
  readonly cache: BuildCache;
  readonly imageId: string;
  readonly platform: string;
  readonly base: BaseLayers;
  readonly pinned?: PinnedLayers;
  readonly time: Date;
  /** Read the image through the stage registry (only new layers cross) instead of docker save. */
  readonly stage?: {
    readonly registry: StageRegistry;
    readonly repository: string;
    readonly tag: string;
  };
  readonly logger: Logger;
}

export interface CollectedLayers {
  readonly engineConfig: EngineConfig;
  readonly layers: AssembledLayer[];
  /** Layers read from the engine and compressed by this build (cache misses). */
  readonly compressed: number;
}

function isPrefix(prefix: readonly string[], of: readonly string[]): boolean {
  return prefix.length <= of.length && prefix.every((id, i) => of[i] === id);
}

function plan(input: CollectInput, raw: readonly string[], engine: EngineConfig | undefined) {
  const baseCount = isPrefix(input.base.diffIds, raw) ? input.base.diffIds.length : 0;
  const keys = engine ? stepKeys(input.platform, engine.history ?? [], raw, baseCount) : [];
  return {
    baseCount,
    keys,
    sources: planLayers({
      rawDiffIds: raw,
      baseCount,
      keys,
      ...(input.base.registry ? { base: input.base.registry } : {}),
      // Without the engine's history there are no keys, so nothing is reused yet.
      ...(engine && input.pinned ? { pinned: input.pinned } : {}),
    }),
  };
}

/** Sources whose cache entry is missing, by the engine layer they are made from. */
async function missing(
  cache: BuildCache,
  sources: readonly LayerSource[],
  time: Date,
): Promise<Map<string, LayerSource[]>> {
  const byRaw = new Map<string, LayerSource[]>();
  for (const source of sources) {
    const key = cacheKey(source, time);
    if (!key || (await cache.get(key)) || !('rawDiffId' in source)) continue;
    const list = byRaw.get(source.rawDiffId) ?? [];
    if (!list.some((s) => s.kind === source.kind)) list.push(source);
    byRaw.set(source.rawDiffId, list);
  }
  return byRaw;
}

/** The engine's image through the stage when there is one (falling back), else `docker save`. */
async function readImage(input: CollectInput, handlers: SaveHandlers): Promise<Buffer> {
  const { docker, imageId, stage } = input;
  if (stage) {
    try {
      return await readStagedImage(docker, stage.registry, imageId, stage, handlers);
    } catch (error) {
      // A full disk fails the same way through docker save: only the stage's own failures fall back.
      if (error instanceof FerryError && error.code === 'FERRY_DISK') throw error;
      input.logger.warn(
        { event: 'build.stage_failed', image: imageId, reason: (error as Error).message },
        'reading the image through the stage registry failed; using docker save',
      );
    }
  }
  return readSavedImage(docker, imageId, handlers, input.cache.scratch);
}

export async function collectLayers(input: CollectInput): Promise<CollectedLayers> {
  const { docker, cache, imageId, time } = input;
  const inspected = await docker.getImage(imageId).inspect();
  const raw = inspected.RootFS.Layers ?? [];
  let engine = (await cache.getConfig(imageId)) as EngineConfig | undefined;
  const needed = await missing(cache, plan(input, raw, engine).sources, time);
  let compressed = 0;
  if (!engine || needed.size > 0) {
    const handlers: SaveHandlers = {
      wants: (diffId) => needed.has(diffId),
      layer: async (diffId, tar) => {
        for (const source of needed.get(diffId) ?? []) {
          const key = cacheKey(source, time)!;
          await cache.put(key, source.kind === 'normalize' ? await normalizeTar(tar, time) : tar);
          compressed += 1;
        }
      },
    };
    const configBytes = await readImage(input, handlers);
    await cache.putConfig(imageId, configBytes);
    engine = JSON.parse(configBytes.toString('utf8')) as EngineConfig;
  }

  const { baseCount, keys, sources } = plan(input, raw, engine);
  const steps = (engine.history ?? []).filter((h) => !h.empty_layer).map((h) => h.created_by ?? '');
  const layers: AssembledLayer[] = [];
  for (const [index, source] of sources.entries()) {
    const common = {
      createdBy: stepName(steps[index] ?? ''),
      fromBase: index < baseCount,
      reused: source.kind === 'pinned',
      ...(keys[index] ? { stepKey: keys[index] } : {}),
    };
    if (source.kind === 'registry' || source.kind === 'pinned') {
      layers.push({ ...source.layer, source: { registry: source.ref }, ...common });
      continue;
    }
    const blob: CachedBlob | undefined = await cache.get(cacheKey(source, time)!);
    if (!blob)
      throw new FerryError('FERRY_BUILD', `layer ${source.rawDiffId} of ${imageId} was not read`);
    const { file, ...described } = blob;
    layers.push({ ...described, mediaType: MEDIA.ociLayerGzip, source: { file }, ...common });
  }
  return { engineConfig: engine, layers, compressed };
}
