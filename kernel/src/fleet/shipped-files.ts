// Files a stack ships from the repository to its devices: a relative bind source that exists in
// the repository (`./mosquitto.conf`, `./chirpstack/`) and `configs: { file: }`. Each is read at
// the revision, bounded, and named by a digest of its content, so a change to it recreates
// exactly the services that mount it and a rollback mounts the earlier content again.
import { createHash } from 'node:crypto';
import { FerryError } from '../errors.js';
import type { FleetReader } from '../source/fleet-reader.js';

/** What one shipped file or folder may hold: a gateway's disk and a pass's memory are small. */
export const SHIPPED_LIMITS = {
  fileBytes: 4 * 1024 * 1024,
  entryBytes: 32 * 1024 * 1024,
  files: 2000,
};

export interface ShippedFile {
  /** Path inside the entry ('' for an entry that is a single file). */
  readonly path: string;
  readonly executable: boolean;
  readonly size: number;
  readonly sha256: string;
}

export interface ShippedEntry {
  /** The repository path of the file or folder. */
  readonly path: string;
  readonly kind: 'file' | 'folder';
  /** `sha256:` of the listing (paths, modes, sizes, contents): the entry's identity. */
  readonly digest: string;
  readonly files: readonly ShippedFile[];
}

/**
 * The file or folder at `path` with its digest, or undefined when nothing is there. Symlinks are
 * refused (one could point outside the repository, or at the device's own files).
 */
export async function readShipped(
  reader: FleetReader,
  path: string,
  limits = SHIPPED_LIMITS,
): Promise<ShippedEntry | undefined> {
  const kind = await reader.kindOf(path);
  if (kind === undefined) return undefined;
  const files: ShippedFile[] = [];
  let total = 0;
  const visit = async (relative: string, kindHere: string): Promise<void> => {
    const full = relative === '' ? path : `${path}/${relative}`;
    if (kindHere === 'symlink')
      throw new FerryError('FERRY_INVALID', `${full}: a symlink; Ferry ships files and folders`, {
        path: full,
      });
    if (kindHere === 'folder') {
      for (const name of await reader.listFolder(full)) {
        const child = relative === '' ? name : `${relative}/${name}`;
        await visit(child, (await reader.kindOf(`${path}/${child}`)) ?? 'file');
      }
      return;
    }
    if (files.length >= limits.files)
      throw new FerryError('FERRY_INVALID', `${path}: more than ${limits.files} files to ship`, {
        path,
      });
    const bytes = (await reader.readBytes(full, limits.fileBytes)) ?? Buffer.alloc(0);
    total += bytes.byteLength;
    if (total > limits.entryBytes)
      throw new FerryError(
        'FERRY_INVALID',
        `${path}: more than ${limits.entryBytes} bytes to ship`,
        {
          path,
        },
      );
    files.push({
      path: relative,
      executable: kindHere === 'executable',
      size: bytes.byteLength,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
  };
  await visit('', kind);
  return {
    path,
    kind: kind === 'folder' ? 'folder' : 'file',
    digest: digestOf(files),
    files,
  };
}

/** The identity of a listing: the same files with the same content give the same digest. */
export function digestOf(files: readonly ShippedFile[]): string {
  const lines = [...files]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((f) => `${f.executable ? '755' : '644'} ${f.size} ${f.sha256} ${f.path}\n`);
  return `sha256:${createHash('sha256').update(lines.join('')).digest('hex')}`;
}
