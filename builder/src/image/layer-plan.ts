// Where each layer of a built image comes from, decided over plain data:
// - a base layer the base's registry has: its blob, as that registry has it;
// - a base layer the engine has only locally: the engine's bytes, kept, compressed once;
// - a built layer whose step key the pinned image recorded: the pinned image's layer, so a cold
//   builder (fresh clone, empty engine cache) reproduces the pinned digest even where a `RUN`
//   writes different bytes each time;
// - any other built layer: the engine's bytes, normalised (sorted, fixed times), compressed.
import type { RemoteLayer } from '#kernel/oci/layer-diff.js';
import type { RegistryBlobs } from './base-layers.js';

export interface PinnedLayers {
  readonly ref: { readonly host: string; readonly repository: string };
  readonly layers: readonly RemoteLayer[];
  /** The step key each pinned layer was recorded with (undefined where none). */
  readonly keys: readonly (string | undefined)[];
}

export type LayerSource =
  | { readonly kind: 'registry'; readonly layer: RemoteLayer; readonly ref: RegistryBlobs['ref'] }
  | { readonly kind: 'pinned'; readonly layer: RemoteLayer; readonly ref: PinnedLayers['ref'] }
  | { readonly kind: 'keep'; readonly rawDiffId: string }
  | { readonly kind: 'normalize'; readonly rawDiffId: string };

export interface LayerPlanInput {
  /** The built image's layers as the engine has them, bottom first. */
  readonly rawDiffIds: readonly string[];
  /** How many of them are the base image's. */
  readonly baseCount: number;
  /** Step keys per layer (see step-keys.ts); shorter when the history is. */
  readonly keys: readonly string[];
  readonly base?: RegistryBlobs;
  readonly pinned?: PinnedLayers;
}

export function planLayers(input: LayerPlanInput): LayerSource[] {
  return input.rawDiffIds.map((rawDiffId, index): LayerSource => {
    if (index < input.baseCount) {
      const layer = input.base?.layers[index];
      return layer && input.base
        ? { kind: 'registry', layer, ref: input.base.ref }
        : { kind: 'keep', rawDiffId };
    }
    const key = input.keys[index];
    const pinnedLayer = input.pinned?.layers[index];
    if (key !== undefined && pinnedLayer && input.pinned?.keys[index] === key)
      return { kind: 'pinned', layer: pinnedLayer, ref: input.pinned.ref };
    return { kind: 'normalize', rawDiffId };
  });
}

/** The cache key of a layer made from the engine's layer `rawDiffId` (see build-cache.ts). */
export function cacheKey(source: LayerSource, time: Date): string | undefined {
  const hex = (id: string) => id.replace(/^sha256:/, '');
  if (source.kind === 'keep') return `keep-${hex(source.rawDiffId)}`;
  if (source.kind === 'normalize')
    return `norm1-${Math.floor(time.getTime() / 1000)}-${hex(source.rawDiffId)}`;
  return undefined;
}
