// How much of a stack's bytes its services share (pure). Layers are compared by chain ID, as the
// engine stores them: a layer is shared only when everything beneath it is the same too, which is
// exactly when a device can keep one copy. The base-image hierarchy of the AGILE gateway study:
// services FROM one runtime image store and download that runtime once.
import { chainIds, type RemoteLayer } from '#kernel/oci/layer-diff.js';

export interface ServiceImage {
  readonly service: string;
  readonly image: string;
  readonly layers: readonly RemoteLayer[];
  /** The Dockerfile's final FROM, when the service is built from this repository. */
  readonly base?: string;
}

export interface ServiceSharing {
  readonly service: string;
  readonly layers: number;
  readonly bytes: number;
  /** Bytes in layers that at least one other service has too. */
  readonly sharedBytes: number;
  readonly uniqueBytes: number;
}

export interface SharedLayer {
  readonly digest: string;
  readonly size: number;
  readonly services: readonly string[];
}

export interface StackSharing {
  readonly services: readonly ServiceSharing[];
  readonly sharedLayers: readonly SharedLayer[];
  /** What a device stores (and downloads on a first install): every distinct layer once. */
  readonly deviceBytes: number;
  /** What it would be if no service shared anything. */
  readonly unsharedBytes: number;
  readonly warnings: readonly string[];
}

/** Below this, a single-layer image is a static binary FROM scratch, not a squashed one. */
const SQUASH_SUSPECT_BYTES = 1024 * 1024;

const repositoryOf = (image: string) => image.split('@')[0]!.replace(/:[^/:]+$/, '');

export function analyzeSharing(images: readonly ServiceImage[]): StackSharing {
  const holders = new Map<string, { layer: RemoteLayer; services: string[] }>();
  const chainsOf = new Map<string, string[]>();
  for (const image of images) {
    const chains = chainIds(image.layers.map((l) => l.diffId));
    chainsOf.set(image.service, chains);
    image.layers.forEach((layer, i) => {
      const entry = holders.get(chains[i]!) ?? { layer, services: [] };
      entry.services.push(image.service);
      holders.set(chains[i]!, entry);
    });
  }
  const services = images.map((image) => {
    const chains = chainsOf.get(image.service)!;
    let sharedBytes = 0;
    let bytes = 0;
    image.layers.forEach((layer, i) => {
      bytes += layer.size;
      if (holders.get(chains[i]!)!.services.length > 1) sharedBytes += layer.size;
    });
    return {
      service: image.service,
      layers: image.layers.length,
      bytes,
      sharedBytes,
      uniqueBytes: bytes - sharedBytes,
    };
  });
  const sharedLayers = [...holders.values()]
    .filter((h) => h.services.length > 1)
    .map((h) => ({ digest: h.layer.digest, size: h.layer.size, services: h.services }));
  const deviceBytes = [...holders.values()].reduce((sum, h) => sum + h.layer.size, 0);
  const unsharedBytes = services.reduce((sum, s) => sum + s.bytes, 0);

  const warnings = sharingWarnings(images, services);
  return { services, sharedLayers, deviceBytes, unsharedBytes, warnings };
}

/** Where the stack's layers could be shared better: squashed images, split bases, no sharing. */
function sharingWarnings(
  images: readonly ServiceImage[],
  services: readonly ServiceSharing[],
): string[] {
  const warnings: string[] = [];
  for (const image of images) {
    const [only] = image.layers;
    const sharing = services.find((s) => s.service === image.service)!;
    if (
      image.layers.length === 1 &&
      only!.size >= SQUASH_SUSPECT_BYTES &&
      sharing.sharedBytes === 0
    )
      warnings.push(
        `${image.service}: one ${mib(only!.size)} layer shared with no other service looks squashed: ` +
          'every update downloads all of it; build FROM a shared base and keep the layers',
      );
  }
  const byRepository = new Map<string, Map<string, string[]>>();
  for (const image of images) {
    if (!image.base) continue;
    const repo = repositoryOf(image.base);
    const bases = byRepository.get(repo) ?? new Map<string, string[]>();
    bases.set(image.base, [...(bases.get(image.base) ?? []), image.service]);
    byRepository.set(repo, bases);
  }
  for (const [repo, bases] of byRepository) {
    if (bases.size < 2) continue;
    const list = [...bases].map(([base, names]) => `${names.join(', ')} FROM ${base}`).join('; ');
    warnings.push(
      `services build on different versions of ${repo} (${list}): devices store and download each; use one`,
    );
  }
  if (images.length > 1)
    for (const s of services)
      if (
        s.sharedBytes === 0 &&
        s.bytes >= SQUASH_SUSPECT_BYTES &&
        !warnings.some((w) => w.startsWith(`${s.service}:`))
      )
        warnings.push(
          `${s.service}: shares no layer with the other services (${mib(s.bytes)} of its own); a common base would save that on every device`,
        );
  return warnings;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
