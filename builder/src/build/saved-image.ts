// Reads a built image back from the engine (`docker save`), streaming: each layer tar is held
// only while it is hashed and, if the caller still needs it, handed over; layers the caller
// already has pass straight through. Peak memory is one layer, not the image.
// The engine writes layers as `<v1 id>/layer.tar` before `manifest.json`, so a layer's identity
// is known only from its sha256 (its diff_id) once it has passed.
import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import tar from 'tar-stream';
import { FerryError } from '../../../schema/src/errors.js';

/** An image config larger than this is not one the engine wrote for a build. */
const MAX_CONFIG_BYTES = 8 << 20;

export interface SaveHandlers {
  /** Whether the layer with this diff_id is wanted (its bytes are otherwise skipped). */
  readonly wants: (diffId: string) => boolean;
  /** Receives a wanted layer's uncompressed tar; the stream waits until it returns. */
  readonly layer: (diffId: string, tar: Buffer) => Promise<void>;
}

/**
 * `docker save` of one image: returns its config (the engine's JSON bytes) and hands every wanted
 * layer to `handlers.layer`, once per diff_id.
 */
export async function readSavedImage(
  docker: Docker,
  imageId: string,
  handlers: SaveHandlers,
): Promise<Buffer> {
  const source = await docker.getImage(imageId).get();
  const extract = tar.extract();
  let config: Buffer | undefined;
  const configName = `${imageId.replace(/^sha256:/, '')}.json`;
  const seen = new Set<string>();

  extract.on('entry', (header, stream, next) => {
    const isLayer = header.type === 'file' && header.name.endsWith('/layer.tar');
    const isConfig = header.type === 'file' && header.name === configName;
    if (!isLayer && !isConfig) {
      stream.on('end', next);
      stream.resume();
      return;
    }
    if (isConfig && header.size !== undefined && header.size > MAX_CONFIG_BYTES) {
      stream.destroy(new FerryError('FERRY_BUILD', `image config of ${imageId} is too large`));
      return;
    }
    const hash = createHash('sha256');
    const parts: Buffer[] = [];
    stream.on('data', (chunk: unknown) => {
      hash.update(chunk as Buffer);
      parts.push(chunk as Buffer);
    });
    stream.on('error', (error: Error) => extract.destroy(error));
    stream.on('end', () => {
      const bytes = Buffer.concat(parts);
      parts.length = 0;
      if (isConfig) {
        config = bytes;
        next();
        return;
      }
      const diffId = `sha256:${hash.digest('hex')}`;
      if (seen.has(diffId) || !handlers.wants(diffId)) {
        next();
        return;
      }
      seen.add(diffId);
      handlers.layer(diffId, bytes).then(
        () => next(),
        (error: unknown) => extract.destroy(error as Error),
      );
    });
  });

  await new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
    source.on('error', (error: Error) => extract.destroy(error));
    source.pipe(extract as unknown as NodeJS.WritableStream);
  });
  if (!config) throw new FerryError('FERRY_BUILD', `docker save of ${imageId} has no image config`);
  return config;
}
