// Reads a built image back from the engine (`docker save`), streaming: each layer tar is held
// only while it is hashed and, if the caller still needs it, handed over; layers the caller
// already has pass straight through. The engine writes layers as `<v1 id>/layer.tar` before
// `manifest.json`, so a layer's identity is known only from its sha256 (its diff_id) once it has
// passed: a layer larger than SPILL_BYTES waits in a scratch file rather than in memory, so an
// unchanged 100 MiB base costs disk writes, not memory.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import tar from 'tar-stream';
import { FerryError } from '../../../schema/src/errors.js';

/** An image config larger than this is not one the engine wrote for a build. */
const MAX_CONFIG_BYTES = 8 << 20;
/** Layers up to this size are held in memory while they pass; larger ones go to a file. */
const SPILL_BYTES = 16 << 20;

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
  scratchDir: string,
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
    const spill = isLayer && (header.size ?? 0) > SPILL_BYTES ? spillFile(scratchDir) : undefined;
    stream.on('data', (chunk: unknown) => {
      hash.update(chunk as Buffer);
      if (spill) {
        if (!spill.out.write(chunk as Buffer)) {
          stream.pause();
          spill.out.once('drain', () => stream.resume());
        }
      } else parts.push(chunk as Buffer);
    });
    stream.on('error', (error: Error) => extract.destroy(error));
    stream.on('end', () => {
      const finish = async () => {
        if (isConfig) {
          config = Buffer.concat(parts);
          return;
        }
        const diffId = `sha256:${hash.digest('hex')}`;
        const wanted = !seen.has(diffId) && handlers.wants(diffId);
        if (wanted) seen.add(diffId);
        if (spill) {
          await new Promise((resolve) => spill.out.end(resolve));
          if (wanted) await handlers.layer(diffId, await readFile(spill.path));
          await rm(spill.path, { force: true });
        } else if (wanted) await handlers.layer(diffId, Buffer.concat(parts));
      };
      finish().then(
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

function spillFile(dir: string): { path: string; out: WriteStream } {
  const path = join(dir, `.save-${randomBytes(6).toString('hex')}`);
  return { path, out: createWriteStream(path) };
}
