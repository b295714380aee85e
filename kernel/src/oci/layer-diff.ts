// The layer diff: which layers of a desired image the engine lacks. Layers are compared by chain
// ID (the digest of the uncompressed diff_ids up to and including the layer), which is how the
// engine stores them, so identical content compressed differently still counts as present, and
// `docker load` skips exactly the layers this calls present.
import { createHash } from 'node:crypto';

export interface RemoteLayer {
  /** Compressed blob digest and size, as the manifest lists them. */
  readonly digest: string;
  readonly size: number;
  readonly mediaType: string;
  /** Uncompressed digest, from the image config's rootfs.diff_ids. */
  readonly diffId: string;
}

export interface LayerNeed extends RemoteLayer {
  readonly chainId: string;
  readonly present: boolean;
}

/** Chain IDs of a stack of diff_ids (OCI image spec, "Layer ChainID"). */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const diffId of diffIds) {
    const previous = out.at(-1);
    out.push(
      previous === undefined
        ? diffId
        : `sha256:${createHash('sha256').update(`${previous} ${diffId}`).digest('hex')}`,
    );
  }
  return out;
}

/** Every chain ID the engine has, from the `RootFS.Layers` of its images. */
export function localChainIds(imageLayers: Iterable<readonly string[]>): Set<string> {
  const present = new Set<string>();
  for (const layers of imageLayers) for (const id of chainIds(layers)) present.add(id);
  return present;
}

/** Each layer of the image, marked present or not on this engine. */
export function diffLayers(
  layers: readonly RemoteLayer[],
  present: ReadonlySet<string>,
): LayerNeed[] {
  const ids = chainIds(layers.map((l) => l.diffId));
  return layers.map((layer, index) => ({
    ...layer,
    chainId: ids[index]!,
    present: present.has(ids[index]!),
  }));
}

/** Compressed bytes to download for the layers that are missing, each blob counted once. */
export function bytesToFetch(needs: readonly LayerNeed[]): number {
  const seen = new Set<string>();
  let total = 0;
  for (const need of needs) {
    if (need.present || seen.has(need.digest)) continue;
    seen.add(need.digest);
    total += need.size;
  }
  return total;
}
