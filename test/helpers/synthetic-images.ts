// Images assembled and pushed by the tests themselves, through Ferry's registry client, so each
// test controls its layers exactly: content, gzip level, architecture, index entries.
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { parseImageReference } from '#kernel/oci/image-reference.js';
import { MEDIA } from '#kernel/oci/media-types.js';
import { RegistryPublisher } from '../../builder/src/push/registry-publisher.js';
import type { Credentials } from '#kernel/oci/registry-auth.js';
import { docker } from './images.js';
import { testEnv } from './test-env.js';

export interface LayerSpec {
  /** Files in the layer: path -> content. */
  readonly files: Readonly<Record<string, string | Buffer>>;
}

export interface PushedLayer {
  readonly digest: string;
  readonly size: number;
  readonly diffId: string;
}

export interface PushedImage {
  readonly reference: string;
  readonly manifestDigest: string;
  readonly configDigest: string;
  readonly layers: readonly PushedLayer[];
}

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** A tar of files with fixed metadata, so equal content always gives equal bytes. */
export async function layerTar(files: Readonly<Record<string, string | Buffer>>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c: unknown) => chunks.push(c as Buffer));
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const [name, content] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
    pack.entry({ name, mode: 0o755, mtime: new Date(0), uid: 0, gid: 0 }, content);
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** The busybox base image's single layer, as an uncompressed tar, taken from `docker save`. */
let baseLayer: Buffer | undefined;
export async function baseLayerTar(): Promise<Buffer> {
  if (baseLayer) return baseLayer;
  const stream = await docker.getImage(testEnv.baseImage).get();
  const extract = tar.extract();
  const found = new Promise<Buffer>((resolve, reject) => {
    extract.on('entry', (header, body, next) => {
      const parts: Buffer[] = [];
      body.on('data', (c: unknown) => parts.push(c as Buffer));
      body.on('end', () => {
        if (header.name.endsWith('layer.tar')) resolve(Buffer.concat(parts));
        next();
      });
    });
    extract.on('finish', () => reject(new Error('no layer.tar in the base image')));
  });
  stream.pipe(extract);
  baseLayer = await found;
  return baseLayer;
}

/** Random bytes that gzip cannot shrink, for layers of a known size. */
export function incompressible(bytes: number): Buffer {
  return randomBytes(bytes);
}

export interface ImageSpec {
  readonly registry?: string;
  readonly repository: string;
  readonly tag: string;
  readonly layers: readonly LayerSpec[];
  readonly gzipLevel?: number;
  readonly architecture?: string;
  readonly cmd?: readonly string[];
  /** The config's creation time: a rebuild changes it even when no layer content changes. */
  readonly created?: string;
  readonly credentials?: Credentials;
  /** Leave out the busybox base layer (a squashed or FROM scratch image). */
  readonly withoutBase?: boolean;
}

async function pushManifest(
  client: RegistryPublisher,
  spec: ImageSpec,
): Promise<{ manifestBytes: Buffer; image: Omit<PushedImage, 'reference'> }> {
  const host = spec.registry ?? testEnv.registry;
  const ref = { host, repository: spec.repository };
  const tars = [
    ...(spec.withoutBase ? [] : [await baseLayerTar()]),
    ...(await Promise.all(spec.layers.map((l) => layerTar(l.files)))),
  ];
  const layers: (PushedLayer & { bytes: Buffer })[] = tars.map((t) => {
    const bytes = gzipSync(t, { level: spec.gzipLevel ?? 6 });
    return { digest: sha256(bytes), size: bytes.length, diffId: sha256(t), bytes };
  });
  const config = Buffer.from(
    JSON.stringify({
      architecture: spec.architecture ?? 'amd64',
      os: 'linux',
      ...(spec.created ? { created: spec.created } : {}),
      config: { Cmd: spec.cmd ?? ['sleep', '3600'], Env: ['PATH=/bin'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    }),
  );
  for (const layer of layers) await client.pushBlob(ref, layer.digest, layer.bytes);
  const configDigest = sha256(config);
  await client.pushBlob(ref, configDigest, config);
  const manifestBytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: { mediaType: MEDIA.ociConfig, digest: configDigest, size: config.length },
      layers: layers.map((l) => ({
        mediaType: MEDIA.ociLayerGzip,
        digest: l.digest,
        size: l.size,
      })),
    }),
  );
  const manifestDigest = await client.putManifest(ref, spec.tag, MEDIA.ociManifest, manifestBytes);
  return {
    manifestBytes,
    image: {
      manifestDigest,
      configDigest,
      layers: layers.map(({ digest, size, diffId }) => ({ digest, size, diffId })),
    },
  };
}

function clientFor(spec: Pick<ImageSpec, 'credentials'>): RegistryPublisher {
  return new RegistryPublisher(
    spec.credentials ? { credentials: async () => spec.credentials } : {},
  );
}

/** Pushes a single-platform image: the busybox base layer plus `layers`; returns it pinned. */
export async function pushSyntheticImage(spec: ImageSpec): Promise<PushedImage> {
  const { image } = await pushManifest(clientFor(spec), spec);
  return {
    reference: `${spec.registry ?? testEnv.registry}/${spec.repository}@${image.manifestDigest}`,
    ...image,
  };
}

/** Pushes one image per architecture and an OCI index over them; returns the index, pinned. */
export async function pushSyntheticIndex(
  spec: Omit<ImageSpec, 'architecture' | 'layers'>,
  perArch: Readonly<Record<string, readonly LayerSpec[]>>,
): Promise<{ reference: string; images: Record<string, PushedImage> }> {
  const client = clientFor(spec);
  const host = spec.registry ?? testEnv.registry;
  const images: Record<string, PushedImage> = {};
  const manifests = [];
  for (const [architecture, layers] of Object.entries(perArch)) {
    const { manifestBytes, image } = await pushManifest(client, {
      ...spec,
      tag: `${spec.tag}-${architecture}`,
      architecture,
      layers,
    });
    images[architecture] = {
      reference: `${host}/${spec.repository}@${image.manifestDigest}`,
      ...image,
    };
    manifests.push({
      mediaType: MEDIA.ociManifest,
      digest: image.manifestDigest,
      size: manifestBytes.length,
      platform: { os: 'linux', architecture },
    });
  }
  const index = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests }),
  );
  const digest = await client.putManifest(
    parseImageReference(`${host}/${spec.repository}`),
    spec.tag,
    MEDIA.ociIndex,
    index,
  );
  return { reference: `${host}/${spec.repository}@${digest}`, images };
}
