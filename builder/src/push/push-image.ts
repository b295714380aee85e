// Pushes assembled images to a registry ourselves rather than with `docker push`: the engine
// would push its own (unnormalised) layers, and could not push an index over platforms.
// Blobs the registry has are skipped; a blob another repository of the same registry has (the
// base image's, or one this run pushed) is mounted from there, so a base shared by several
// services crosses the network once; a blob of another registry is copied through a file.
// Layer bytes stream from files: nothing the size of a layer is held in memory.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, openAsBlob } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebStream } from 'node:stream/web';
import type { ImageReference } from '#kernel/oci/image-reference.js';
import { MEDIA } from '#kernel/oci/media-types.js';
import type { RegistryPublisher } from './registry-publisher.js';
import { FerryError } from '#kernel/errors.js';
import type { AssembledImage, AssembledLayer } from '../image/assemble-image.js';

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

  /** `scratchDir` holds blobs copied from another registry while they pass through. */
  constructor(
    private readonly client: RegistryPublisher,
    private readonly scratchDir: string,
  ) {}

  #count(outcome: 'present' | 'mounted' | 'uploaded', bytes: number): void {
    if (outcome === 'uploaded') {
      this.totals.uploadedBlobs += 1;
      this.totals.uploadedBytes += bytes;
    } else if (outcome === 'mounted') this.totals.mountedBlobs += 1;
    else this.totals.presentBlobs += 1;
  }

  /** A repository (same host, not the target) this run pushed the blob to. */
  #sibling(target: Target, digest: string): string | undefined {
    const known = this.#pushedTo.get(digest);
    return known && known.host === target.host && known.repository !== target.repository
      ? known.repository
      : undefined;
  }

  async #layer(target: Target, layer: AssembledLayer): Promise<void> {
    const source = layer.source;
    if ('file' in source) {
      const body = await openAsBlob(source.file);
      const sibling = this.#sibling(target, layer.digest);
      this.#count(await this.client.pushBlob(target, layer.digest, body, sibling), layer.size);
    } else if (await this.client.hasBlob(target, layer.digest)) {
      this.#count('present', 0);
    } else if (
      source.registry.host === target.host &&
      source.registry.repository !== target.repository &&
      (await this.client.mountBlob(target, layer.digest, source.registry.repository))
    ) {
      this.#count('mounted', 0);
    } else {
      const file = await this.#copyToFile(source.registry, layer);
      try {
        const body = await openAsBlob(file);
        this.#count(await this.client.pushBlob(target, layer.digest, body), layer.size);
      } finally {
        await rm(file, { force: true });
      }
    }
    this.#pushedTo.set(layer.digest, target);
  }

  /** Downloads a blob of another registry into the scratch folder, checking its digest. */
  async #copyToFile(from: Target, layer: AssembledLayer): Promise<string> {
    const file = join(this.scratchDir, `.copy-${randomBytes(6).toString('hex')}`);
    const response = await this.client.getBlob(from, layer.digest);
    const hash = createHash('sha256');
    let bytes = 0;
    await pipeline(
      Readable.fromWeb(response.body as WebStream<Uint8Array>),
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          hash.update(chunk);
          done(bytes > layer.size ? new Error('more bytes than the manifest says') : null, chunk);
        },
      }),
      createWriteStream(file),
    ).catch(async (error: Error) => {
      await rm(file, { force: true });
      throw new FerryError(
        'FERRY_REGISTRY',
        `copying ${layer.digest} from ${from.host}: ${error.message}`,
      );
    });
    if (`sha256:${hash.digest('hex')}` !== layer.digest) {
      await rm(file, { force: true });
      throw new FerryError(
        'FERRY_REGISTRY',
        `blob ${layer.digest} from ${from.host} does not match its digest`,
      );
    }
    return file;
  }

  /** Pushes one platform's layers, config and manifest (by digest); returns the manifest digest. */
  async pushImage(target: Target, image: AssembledImage): Promise<string> {
    // Layers side by side: most are a HEAD that finds the blob there, and they do not depend on
    // each other; the manifest goes last, once every blob it names is in place.
    await Promise.all(image.layers.map((layer) => this.#layer(target, layer)));
    this.#count(
      await this.client.pushBlob(target, image.configDigest, image.config),
      image.config.length,
    );
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
