// The repository files a stack ships (see shipped-files.ts), found where the stack is loaded:
// every relative bind source, and every `configs: { file: }`. A relative bind source that is not
// in the repository is a data folder on the device, so it is recorded as absent (null).
import type { ComposeFile } from './compose-model.js';
import { isPath } from './compose-mounts.js';
import type { ProblemSink } from './problem-sink.js';
import { repoJoin } from './repo-path.js';
import { readShipped, type ShippedEntry } from './shipped-files.js';
import type { FleetReader } from '../source/fleet-reader.js';

/** Repository path -> what it ships, or null when nothing is there (a data folder). */
export type StackFiles = ReadonlyMap<string, ShippedEntry | null>;

export async function loadStackFiles(
  reader: FleetReader,
  stackPath: string,
  compose: ComposeFile,
  sink: ProblemSink,
): Promise<StackFiles> {
  const files = new Map<string, ShippedEntry | null>();
  const ship = async (source: string, at: (string | number)[], mustExist: boolean) => {
    // A variable in the path is filled per device: no one repository path to look up.
    if (source.includes('$')) return;
    const path = repoJoin(stackPath, source);
    if (path === undefined) {
      sink.add(at, `'${source}' is outside the repository`);
      return;
    }
    if (files.has(path)) return;
    try {
      const entry = (await readShipped(reader, path)) ?? null;
      if (entry === null && mustExist) sink.add(at, `'${source}' is not in the repository`);
      files.set(path, entry);
    } catch (error) {
      sink.add(at, error instanceof Error ? error.message : String(error));
    }
  };
  for (const [name, service] of Object.entries(compose.services))
    for (const [index, volume] of (service.volumes ?? []).entries()) {
      const source = typeof volume === 'string' ? volume.split(':')[0] : volume.source;
      const bind = typeof volume === 'string' ? volume.includes(':') : volume.type === 'bind';
      if (bind && source?.startsWith('.') && isPath(source))
        await ship(source, ['services', name, 'volumes', index], false);
    }
  for (const [name, config] of Object.entries(compose.configs ?? {}))
    if (config.file !== undefined) await ship(config.file, ['configs', name, 'file'], true);
  return files;
}
