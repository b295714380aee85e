// The layers of the image a build starts FROM, and where a push can find their blobs. A base
// pulled from a registry keeps its blobs exactly as that registry has them: nothing to read,
// compress or upload (a push mounts or skips them). A base the engine has only locally (built or
// imported there) is read from the engine and compressed once, into the build cache.
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { parseImageReference } from '#kernel/oci/image-reference.js';
import type { RemoteLayer } from '#kernel/oci/layer-diff.js';
import type { RegistryClient } from '#kernel/oci/registry-client.js';
import { resolveImage, type Platform } from '#kernel/oci/resolve-image.js';

export interface RegistryBlobs {
  readonly ref: { readonly host: string; readonly repository: string };
  readonly layers: readonly RemoteLayer[];
}

export interface BaseLayers {
  /** The base's diff_ids, bottom first; empty for `scratch`. */
  readonly diffIds: readonly string[];
  /** The registry that has the base's blobs, when the engine pulled it from one. */
  readonly registry?: RegistryBlobs;
}

/** The `host/repository@digest` the engine recorded when it pulled `base`, if it did. */
function pulledDigest(base: string, repoDigests: readonly string[]): string | undefined {
  const ref = parseImageReference(base);
  return repoDigests.find((entry) => {
    const [name = ''] = entry.split('@');
    const pulled = parseImageReference(name);
    return pulled.host === ref.host && pulled.repository === ref.repository;
  });
}

export async function baseLayers(
  docker: Docker,
  registry: RegistryClient,
  base: string | undefined,
  platform: Platform,
  logger: Logger,
): Promise<BaseLayers> {
  if (!base) return { diffIds: [] };
  const local = await docker
    .getImage(base)
    .inspect()
    .catch(() => undefined);
  const diffIds = local?.RootFS.Layers ?? [];
  const pulled = pulledDigest(base, local?.RepoDigests ?? []);
  if (!pulled) return { diffIds };
  try {
    const remote = await resolveImage(registry, pulled, platform);
    const same =
      remote.layers.length === diffIds.length &&
      remote.layers.every((layer, i) => layer.diffId === diffIds[i]);
    if (same) return { diffIds, registry: { ref: remote.ref, layers: remote.layers } };
    logger.debug({ event: 'build.base_differs', base, pulled }, 'registry base differs from local');
  } catch (error) {
    logger.warn(
      { event: 'build.base_unreadable', base, pulled, reason: (error as Error).message },
      'base image not readable from its registry; its layers are compressed locally',
    );
  }
  return { diffIds };
}
