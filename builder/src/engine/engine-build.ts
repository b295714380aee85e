// One `docker build` through the engine API (dockerode). The engine's classic builder is used: it builds per platform (with qemu
// for foreign ones) and needs no BuildKit session, which dockerode cannot open.
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { FerryError } from '#kernel/errors.js';

export interface EngineBuildOptions {
  readonly dockerfile: string;
  readonly buildArgs: Readonly<Record<string, string>>;
  readonly target?: string;
  /** `os/arch[/variant]`. */
  readonly platform: string;
  /** Pull the base for this platform even when a tag of it is present (another platform's). */
  readonly pull: boolean;
  readonly noCache: boolean;
  /** Credentials for the registries of the images the Dockerfile starts FROM, by host. */
  readonly registryConfig?: Readonly<Record<string, { username: string; password: string }>>;
  readonly onOutput?: (line: string) => void;
}

interface BuildEvent {
  readonly stream?: string;
  readonly error?: string;
  readonly errorDetail?: { readonly message?: string };
  readonly aux?: { readonly ID?: string };
}

/** The engine's own words for a failure, without a client stack trace. */
function engineMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // dockerode: "(HTTP code 500) unexpected - <the engine's message> "
  return text.replace(/^\(HTTP code \d+\)\s*[a-z ]*-\s*/i, '').trim();
}

/**
 * Builds the context tar; returns the image ID. A failure is a FERRY_BUILD error with the
 * engine's words, the number of the step that failed (`Step N/M`, when the engine got that far)
 * and the last lines of output.
 */
export async function engineBuild(
  docker: Docker,
  context: Buffer,
  options: EngineBuildOptions,
): Promise<string> {
  const tail: string[] = [];
  let imageId: string | undefined;
  let failure: string | undefined;
  let step: number | undefined;
  try {
    const stream = await docker.buildImage(Readable.from([context]), {
      dockerfile: options.dockerfile,
      buildargs: { ...options.buildArgs },
      platform: options.platform,
      pull: options.pull,
      nocache: options.noCache,
      rm: true,
      forcerm: true,
      ...(options.target ? { target: options.target } : {}),
      // Sent as X-Registry-Config: the engine pulls a base from a registry that needs auth.
      ...(options.registryConfig ? { registryconfig: options.registryConfig } : {}),
    });
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(
        stream,
        (error) => (error ? reject(error as Error) : resolve()),
        (event: BuildEvent) => {
          for (const line of (event.stream ?? '').split('\n').filter((l) => l.trim())) {
            const stepLine = /^Step (\d+)\/\d+ : /.exec(line);
            if (stepLine) step = Number(stepLine[1]);
            tail.push(line);
            if (tail.length > 20) tail.shift();
            options.onOutput?.(line);
          }
          if (event.aux?.ID) imageId = event.aux.ID;
          if (event.error) failure = event.errorDetail?.message ?? event.error;
        },
      ),
    );
  } catch (error) {
    failure = engineMessage(error);
  }
  if (failure || !imageId)
    throw new FerryError('FERRY_BUILD', failure ?? 'the engine reported no image', {
      ...(step === undefined ? {} : { step }),
      output: tail,
    });
  return imageId;
}
