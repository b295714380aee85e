// The engine's image store through dockerode (see image-store.ts for the port).
import type Docker from 'dockerode';
import { FerryError } from '#kernel/errors.js';
import type { ImageStore } from './image-store.js';

interface LoadEvent {
  readonly error?: string;
  readonly errorDetail?: { readonly message?: string };
}

export class DockerImages implements ImageStore {
  readonly #docker: Docker;

  constructor(docker: Docker) {
    this.#docker = docker;
  }

  async imageIds(): Promise<Set<string>> {
    return new Set((await this.#docker.listImages()).map((i) => i.Id));
  }

  async layersOf(id: string): Promise<readonly string[] | undefined> {
    const info = await this.#docker
      .getImage(id)
      .inspect()
      .catch(() => undefined);
    return info?.RootFS?.Layers;
  }

  async dataRoot(): Promise<string> {
    const info = (await this.#docker.info()) as { DockerRootDir?: string };
    return info.DockerRootDir ?? '/var/lib/docker';
  }

  async load(tarball: NodeJS.ReadableStream): Promise<void> {
    const output = await this.#docker.loadImage(tarball, { quiet: true });
    const events = await new Promise<LoadEvent[]>((resolve, reject) =>
      this.#docker.modem.followProgress(output, (error, result) =>
        error ? reject(error) : resolve(result as LoadEvent[]),
      ),
    );
    const failed = events.find((e) => e.error);
    if (failed)
      throw new FerryError('FERRY_ENGINE', failed.errorDetail?.message ?? failed.error ?? '');
  }

  async removeImage(id: string): Promise<boolean> {
    return this.#docker
      .getImage(id)
      .remove()
      .then(() => true)
      .catch((error: { statusCode?: number }) => error.statusCode === 404);
  }
}
