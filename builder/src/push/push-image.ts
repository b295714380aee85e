// Pushes assembled images to a registry ourselves rather than with `docker push`: the engine
// would push its own (unnormalised) layers, and could not push an index over platforms.
// Blobs the registry has are skipped; a blob this run already pushed to a sibling repository is
// mounted from there, so a base shared by several services crosses the network once.
import { createHash } from 'node:crypto';
import type { ImageReference } from '../../../daemon/src/fetch/image-reference.js';
import { MEDIA } from '../../../daemon/src/fetch/media-types.js';
import type { RegistryClient } from '../../../daemon/src/fetch/registry-client.js';
import type { AssembledImage } from '../build/assemble-image.js';

export interface PushTotals {
  uploadedBlobs: number;
  uploadedBytes: number;
  presentBlobs: number;
  mountedBlobs: number;
}

type Target = Pick<ImageReference, 'host' | 'repository'>;

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** The OCI index over per-platform images, in the order given. */
export function imageIndex(images: readonly AssembledImage[]): { bytes: Buffer; digest: string } {
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociIndex,
      manifests: images.map((image) => ({
        mediaType: MEDIA.ociManifest,
        digest: image.manifestDigest,
        size: image.manifest.length,
        platform: {
          os: image.platform.os,
          architecture: image.platform.architecture,
          ...(image.platform.variant ? { variant: image.platform.variant } : {}),
        },
      })),
    }),
  );
  return { bytes, digest: sha256(bytes) };
}

export class ImagePusher {
  readonly totals: PushTotals = {
    uploadedBlobs: 0,
    uploadedBytes: 0,
    presentBlobs: 0,
    mountedBlobs: 0,
  };
  /** Blob digest -> a repository (same host) this run pushed it to. */
  readonly #pushedTo = new Map<string, Target>();

  constructor(private readonly client: RegistryClient) {}

  async #blob(target: Target, digest: string, bytes: Buffer): Promise<void> {
    const sibling = this.#pushedTo.get(digest);
    const from =
      sibling && sibling.host === target.host && sibling.repository !== target.repository
        ? sibling.repository
        : undefined;
    const outcome = await this.client.pushBlob(target, digest, bytes, from);
    if (outcome === 'uploaded') {
      this.totals.uploadedBlobs += 1;
      this.totals.uploadedBytes += bytes.length;
    } else if (outcome === 'mounted') this.totals.mountedBlobs += 1;
    else this.totals.presentBlobs += 1;
    this.#pushedTo.set(digest, target);
  }

  /** Pushes one platform's layers, config and manifest (by digest); returns the manifest digest. */
  async pushImage(target: Target, image: AssembledImage): Promise<string> {
    for (const layer of image.layers) await this.#blob(target, layer.digest, layer.gzip);
    await this.#blob(target, image.configDigest, image.config);
    return this.client.putManifest(target, image.manifestDigest, MEDIA.ociManifest, image.manifest);
  }

  /**
   * Pushes the images and, for more than one platform, an index over them; tags the result with
   * `tag` when given. Returns the digest to pin.
   */
  async push(target: Target, images: readonly AssembledImage[], tag?: string): Promise<string> {
    for (const image of images) await this.pushImage(target, image);
    if (images.length === 1) {
      const only = images[0]!;
      if (tag) await this.client.putManifest(target, tag, MEDIA.ociManifest, only.manifest);
      return only.manifestDigest;
    }
    const index = imageIndex(images);
    await this.client.putManifest(target, tag ?? index.digest, MEDIA.ociIndex, index.bytes);
    return index.digest;
  }
}
