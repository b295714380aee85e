// Reference -> (index -> the device's platform ->) manifest -> config: what an image is made of.
import { createHash } from 'node:crypto';
import { MAX_CONFIG_BYTES, MAX_LAYERS, readBounded } from './bounded-body.js';
import { FerryError } from '../errors.js';
import { manifestRef, parseImageReference, type ImageReference } from './image-reference.js';
import type { RemoteLayer } from './layer-diff.js';
import {
  isIndex,
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
} from './media-types.js';
import type { RegistryClient } from './registry-client.js';

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

export interface RemoteImage {
  readonly reference: string;
  readonly ref: ImageReference;
  readonly manifestDigest: string;
  /** The image ID the engine will know it by: the digest of the config. */
  readonly configDigest: string;
  readonly configBytes: Buffer;
  readonly config: ImageConfig;
  readonly layers: readonly RemoteLayer[];
}

/** `os/arch[/variant]`, as Docker and OCI write a platform. */
export function formatPlatform(platform: Platform): string {
  return `${platform.os}/${platform.architecture}${platform.variant ? `/${platform.variant}` : ''}`;
}

/** Picks the index entry for a platform: os and architecture must match; variant when given. */
export function selectPlatform(
  manifests: readonly Descriptor[],
  platform: Platform,
): Descriptor | undefined {
  const candidates = manifests.filter(
    (m) => m.platform?.os === platform.os && m.platform.architecture === platform.architecture,
  );
  return (
    candidates.find(
      (m) => platform.variant === undefined || m.platform?.variant === platform.variant,
    ) ?? candidates[0]
  );
}

export async function resolveImage(
  client: RegistryClient,
  reference: string,
  platform: Platform,
  signal?: AbortSignal,
): Promise<RemoteImage> {
  const ref = parseImageReference(reference);
  const { fetched, manifest } = await platformManifest(client, reference, platform, signal);
  const configResponse = await client.getBlob(ref, manifest.config.digest, 0, signal);
  const configBytes = await readBounded(
    configResponse,
    MAX_CONFIG_BYTES,
    `image config ${manifest.config.digest.slice(0, 19)} of ${reference}`,
  );
  const configDigest = `sha256:${createHash('sha256').update(configBytes).digest('hex')}`;
  if (configDigest !== manifest.config.digest)
    throw new FerryError('FERRY_REGISTRY', `image ${reference}: config does not match its digest`);
  const config = JSON.parse(configBytes.toString('utf8')) as ImageConfig;
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length)
    throw new FerryError(
      'FERRY_REGISTRY',
      `image ${reference}: ${manifest.layers.length} layers but ${diffIds.length} diff_ids`,
    );
  return {
    reference,
    ref,
    manifestDigest: fetched.digest,
    configDigest,
    configBytes,
    config,
    layers: manifest.layers.map((layer, index) => ({
      digest: layer.digest,
      size: layer.size,
      mediaType: layer.mediaType,
      diffId: diffIds[index]!,
    })),
  };
}

/** The image manifest for `platform`: the reference's own, or its index's entry for it. */
async function platformManifest(
  client: RegistryClient,
  reference: string,
  platform: Platform,
  signal: AbortSignal | undefined,
) {
  const ref = parseImageReference(reference);
  let fetched = await client.getManifest(ref, manifestRef(ref), signal);
  let body = JSON.parse(fetched.bytes.toString('utf8')) as ImageManifest | ImageIndex;
  if (isIndex(fetched.mediaType || body.mediaType, body as { manifests?: unknown })) {
    const chosen = selectPlatform((body as ImageIndex).manifests, platform);
    if (!chosen) {
      const offered = (body as ImageIndex).manifests.map((m) =>
        m.platform ? formatPlatform(m.platform) : '(no platform)',
      );
      throw new FerryError(
        'FERRY_REGISTRY',
        `image ${reference} has no ${platform.os}/${platform.architecture} entry (offers ${offered.join(', ')})`,
      );
    }
    fetched = await client.getManifest(ref, chosen.digest, signal);
    body = JSON.parse(fetched.bytes.toString('utf8')) as ImageManifest;
  }
  const manifest = body as ImageManifest;
  if (!manifest.config || !Array.isArray(manifest.layers))
    throw new FerryError(
      'FERRY_REGISTRY',
      `image ${reference}: unsupported manifest (${fetched.mediaType})`,
    );
  if (manifest.layers.length > MAX_LAYERS)
    throw new FerryError(
      'FERRY_REGISTRY',
      `image ${reference} has ${manifest.layers.length} layers; the engine runs at most ${MAX_LAYERS}`,
    );
  return { fetched, manifest };
}
