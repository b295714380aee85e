// One `docker build` through the engine API (dockerode), and `docker save` to read the result
// back as plain tars. The engine's classic builder is used: it builds per platform (with qemu
// for foreign ones) and needs no BuildKit session, which dockerode cannot open.
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { FerryError } from '../../../schema/src/errors.js';
import { readTar } from './tar-buffer.js';

export interface EngineBuildOptions {
  readonly dockerfile: string;
  readonly buildArgs: Readonly<Record<string, string>>;
  readonly target?: string;
  /** `os/arch[/variant]`. */
  readonly platform: string;
  /** Pull the base for this platform even when a tag of it is present (another platform's). */
  readonly pull: boolean;
  readonly noCache: boolean;
  readonly onOutput?: (line: string) => void;
}

interface BuildEvent {
  readonly stream?: string;
  readonly error?: string;
  readonly errorDetail?: { readonly message?: string };
  readonly aux?: { readonly ID?: string };
}

/** Builds the context tar; returns the image ID. A failed step fails with the engine's words. */
export async function engineBuild(
  docker: Docker,
  context: Buffer,
  options: EngineBuildOptions,
): Promise<string> {
  const stream = await docker.buildImage(Readable.from([context]), {
    dockerfile: options.dockerfile,
    buildargs: { ...options.buildArgs },
    platform: options.platform,
    pull: options.pull,
    nocache: options.noCache,
    rm: true,
    forcerm: true,
    ...(options.target ? { target: options.target } : {}),
  });
  const tail: string[] = [];
  let imageId: string | undefined;
  let failure: string | undefined;
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(
      stream,
      (error) => (error ? reject(error as Error) : resolve()),
      (event: BuildEvent) => {
        for (const line of (event.stream ?? '').split('\n').filter((l) => l.trim())) {
          tail.push(line);
          if (tail.length > 20) tail.shift();
          options.onOutput?.(line);
        }
        if (event.aux?.ID) imageId = event.aux.ID;
        if (event.error) failure = event.errorDetail?.message ?? event.error;
      },
    ),
  );
  if (failure || !imageId)
    throw new FerryError(
      'FERRY_BUILD',
      `build failed: ${failure ?? 'the engine reported no image'}\n${tail.map((l) => `  | ${l}`).join('\n')}`,
    );
  return imageId;
}

export interface SavedImage {
  /** The engine's image config (JSON). */
  readonly config: Record<string, unknown>;
  /** Layer tars, bottom first, uncompressed as the engine stores them. */
  readonly layers: readonly Buffer[];
}

/** `docker save` of one image, read into memory. */
export async function saveImage(docker: Docker, imageId: string): Promise<SavedImage> {
  const entries = await readTar(await docker.getImage(imageId).get());
  const files = new Map(entries.map((e) => [e.header.name, e.body]));
  const manifest = JSON.parse(files.get('manifest.json')?.toString('utf8') ?? '[]') as {
    Config: string;
    Layers: string[];
  }[];
  const entry = manifest[0];
  const configBytes = entry && files.get(entry.Config);
  if (!entry || !configBytes)
    throw new FerryError('FERRY_BUILD', `docker save of ${imageId} has no manifest.json`);
  return {
    config: JSON.parse(configBytes.toString('utf8')) as Record<string, unknown>,
    layers: entry.Layers.map((name) => {
      const layer = files.get(name);
      if (!layer) throw new FerryError('FERRY_BUILD', `docker save of ${imageId} lacks ${name}`);
      return layer;
    }),
  };
}
