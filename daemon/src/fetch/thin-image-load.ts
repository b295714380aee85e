// Imports an image into the engine with `docker load` of a thin tarball: manifest.json and config
// for the whole image, but layer tars only for the layers the engine lacks. The engine skips layers
// whose chain ID it already has (checked on Engine 20.10), so nothing present is sent again.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { FerryError } from '#kernel/errors.js';
import type { BlobStore } from './blob-store.js';
import type { ImageStore } from './image-store.js';
import type { LayerNeed } from '#kernel/oci/layer-diff.js';
import type { RemoteImage } from '#kernel/oci/resolve-image.js';

/** The tag a loaded image gets, so people (and `docker images`) can find it. */
export function ferryTag(image: RemoteImage): string {
  return `${image.ref.host}/${image.ref.repository}:ferry-${image.manifestDigest.slice('sha256:'.length, 'sha256:'.length + 12)}`;
}

export async function loadThinImage(
  images: ImageStore,
  image: RemoteImage,
  needs: readonly LayerNeed[],
  blobs: BlobStore,
): Promise<void> {
  const pack = tar.pack();
  const hex = (digest: string) => digest.slice('sha256:'.length);
  const layerPath = (need: LayerNeed) => `${hex(need.chainId)}/layer.tar`;
  const manifest = [
    {
      Config: `${hex(image.configDigest)}.json`,
      RepoTags: [ferryTag(image)],
      Layers: needs.map(layerPath),
    },
  ];

  const writing = (async () => {
    pack.entry({ name: 'manifest.json' }, JSON.stringify(manifest));
    pack.entry({ name: `${hex(image.configDigest)}.json` }, image.configBytes);
    for (const need of needs.filter((n) => !n.present)) {
      const path = blobs.path(need.digest);
      const { size } = await stat(path);
      // Compressed as downloaded: the engine decompresses layer tars on load.
      const entry = pack.entry({ name: layerPath(need), size });
      await pipeline(createReadStream(path), entry);
    }
    pack.finalize();
  })();

  // tar-stream's pack is a streamx stream: it pipes like a Node stream, without the type.
  const loading = images.load(pack as unknown as NodeJS.ReadableStream);
  await writing;
  await loading.catch((error: unknown) => {
    throw new FerryError(
      'FERRY_ENGINE',
      `docker load of ${image.reference}: ${error instanceof Error ? error.message : String(error)}`,
      { image: image.reference },
      { cause: error },
    );
  });
  if (!(await images.layersOf(image.configDigest)))
    throw new FerryError(
      'FERRY_ENGINE',
      `docker load of ${image.reference} did not produce ${image.configDigest.slice(0, 19)}`,
      { image: image.reference },
    );
}
