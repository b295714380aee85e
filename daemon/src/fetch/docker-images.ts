// The engine's image store through the Engine API (see image-store.ts for the port).
import type Docker from 'dockerode';
import { FerryError } from '#kernel/errors.js';
import { readBody } from '#kernel/http/read-body.js';
import { isStatus, type EngineApi } from '../apply/engine-api.js';
import { unchangedSince, type ChangeFeed } from '../apply/engine-events.js';
import type { ImageStore } from './image-store.js';

/** Loading a large image onto an SD card can keep the engine silent for minutes. */
const LOAD_IDLE_MS = 30 * 60_000;
/** What a load answers: a line per image loaded, or the reason it was not. */
const LOAD_ANSWER_BYTES = 1024 * 1024;

interface LoadEvent {
  readonly error?: string;
  readonly errorDetail?: { readonly message?: string };
}

export class DockerImages implements ImageStore {
  readonly #api: EngineApi;
  readonly #changes: ChangeFeed | undefined;
  /** The last taggedIds answer, kept while the engine's events report no change. */
  #tagged: { key: string; at: number; mark: number; ids: Promise<Set<string>> } | undefined;

  constructor(api: EngineApi, changes?: ChangeFeed) {
    this.#api = api;
    this.#changes = changes;
  }

  async imageIds(): Promise<Set<string>> {
    const images = await this.#api.json<Docker.ImageInfo[]>({ path: '/images/json' });
    return new Set(images.map((i) => i.Id));
  }

  async taggedIds(tags: readonly string[]): Promise<Set<string>> {
    if (tags.length === 0) return new Set();
    const filters = JSON.stringify({ reference: tags.map(familiarTag) });
    const mark = this.#changes?.mark();
    const last = this.#tagged;
    if (last?.key === filters && unchangedSince(this.#changes, last)) return last.ids;
    const ids = this.#api
      .json<Docker.ImageInfo[]>({ path: '/images/json', query: { filters } })
      .then((images) => new Set(images.map((i) => i.Id)));
    this.#tagged = mark === undefined ? undefined : { key: filters, at: Date.now(), mark, ids };
    ids.catch(() => {
      if (this.#tagged?.ids === ids) this.#tagged = undefined;
    });
    return ids;
  }

  async layersOf(id: string): Promise<readonly string[] | undefined> {
    const info = await this.#api
      .json<Docker.ImageInspectInfo>({ path: `/images/${encodeURIComponent(id)}/json` })
      .catch(() => undefined);
    return info?.RootFS?.Layers;
  }

  async dataRoot(): Promise<string> {
    const info = await this.#api.json<{ DockerRootDir?: string }>({ path: '/info' });
    return info.DockerRootDir ?? '/var/lib/docker';
  }

  async load(tarball: NodeJS.ReadableStream): Promise<void> {
    this.#tagged = undefined;
    const answer = await this.#api.open({
      method: 'POST',
      path: '/images/load',
      query: { quiet: true },
      upload: tarball,
      idleMs: LOAD_IDLE_MS,
    });
    const failed = loadEvents(await readBody(answer, LOAD_ANSWER_BYTES)).find((e) => e.error);
    if (failed)
      throw new FerryError('FERRY_ENGINE', failed.errorDetail?.message ?? failed.error ?? '');
  }

  async removeImage(id: string): Promise<boolean> {
    this.#tagged = undefined;
    return this.#api
      .send({ method: 'DELETE', path: `/images/${encodeURIComponent(id)}` })
      .then(() => true)
      .catch((error: unknown) => isStatus(error, 404));
  }
}

/** The engine answers a load with JSON lines, one event each ({"stream"}, {"error"}...). */
function loadEvents(answer: Buffer): LoadEvent[] {
  return answer
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as LoadEvent;
      } catch {
        return { error: line };
      }
    });
}

/**
 * A tag as the engine's `reference` filter matches it: Docker Hub's names in their short form
 * (`docker.io/library/nginx:x` is matched only as `nginx:x`, `docker.io/acme/app:x` as `acme/app:x`).
 */
export function familiarTag(tag: string): string {
  if (!tag.startsWith('docker.io/')) return tag;
  const name = tag.slice('docker.io/'.length);
  const official = name.startsWith('library/') && !name.slice('library/'.length).includes('/');
  return official ? name.slice('library/'.length) : name;
}
