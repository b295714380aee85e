// Reads a built image back from the engine (`docker save`), streaming: each layer tar is held
// only while it is hashed and, if the caller still needs it, handed over; layers the caller
// already has pass straight through. The engine writes layers as `<v1 id>/layer.tar` before
// `manifest.json`, so a layer's identity is known only from its sha256 (its diff_id) once it has
// passed: a layer larger than SPILL_BYTES waits in a scratch file rather than in memory, so an
// unchanged 100 MiB base costs disk writes, not memory.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import tar from 'tar-stream';
import { FerryError } from '#kernel/errors.js';

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

  const layer = async (stream: Readable, size: number) => {
    const received = await receive(stream, size > SPILL_BYTES ? scratchDir : undefined);
    const wanted = !seen.has(received.digest) && handlers.wants(received.digest);
    if (wanted) seen.add(received.digest);
    if (wanted) await handlers.layer(received.digest, await received.bytes());
    await received.discard();
  };
  extract.on('entry', (header, stream, next) => {
    const isLayer = header.type === 'file' && header.name.endsWith('/layer.tar');
    const isConfig = header.type === 'file' && header.name === configName;
    const done = (work: Promise<void>) =>
      work.then(
        () => next(),
        (error: unknown) => extract.destroy(error as Error),
      );
    if (isLayer) done(layer(stream as unknown as Readable, header.size ?? 0));
    else if (isConfig && (header.size ?? 0) > MAX_CONFIG_BYTES)
      extract.destroy(new FerryError('FERRY_BUILD', `image config of ${imageId} is too large`));
    else if (isConfig)
      done(
        receive(stream as unknown as Readable).then(async (r) => void (config = await r.bytes())),
      );
    else {
      stream.on('end', next);
      stream.resume();
    }
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

interface Received {
  /** sha256 of the bytes. */
  readonly digest: string;
  bytes(): Promise<Buffer>;
  discard(): Promise<void>;
}

/** Reads one tar entry, hashing it, into memory or (with `spillDir`) a scratch file. */
async function receive(stream: Readable, spillDir?: string): Promise<Received> {
  const hash = createHash('sha256');
  const parts: Buffer[] = [];
  const path = spillDir ? join(spillDir, `.save-${randomBytes(6).toString('hex')}`) : undefined;
  const spill = path ? createWriteStream(path) : undefined;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    if (!spill) parts.push(chunk as Buffer);
    else if (!spill.write(chunk))
      await new Promise<void>((resolve) => spill.once('drain', () => resolve()));
  }
  if (spill) await new Promise<void>((resolve) => spill.end(() => resolve()));
  return {
    digest: `sha256:${hash.digest('hex')}`,
    bytes: async () => (path ? readFile(path) : Buffer.concat(parts)),
    discard: async () => {
      parts.length = 0;
      if (path) await rm(path, { force: true });
    },
  };
}
