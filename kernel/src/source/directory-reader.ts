// Reads the fleet from a folder on disk (`ferry validate DIR`, `ferry resolve DIR`).
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { FerryError } from '../errors.js';
import { MAX_FLEET_FILE_BYTES, type EntryKind, type FleetReader } from './fleet-reader.js';
import { GitTreeReader } from './git-tree-reader.js';

export class DirectoryReader implements FleetReader {
  readonly revision = null;
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** Refuses symlinks that lead out of the fleet root. */
  private async inside(path: string): Promise<string | undefined> {
    const target = join(this.root, path);
    const real = await realpath(target).catch(() => undefined);
    if (real === undefined) return undefined;
    const rootReal = await realpath(this.root);
    if (real !== rootReal && !real.startsWith(rootReal + sep)) {
      throw new FerryError('FERRY_INVALID', `${path}: leads outside the fleet directory`, { path });
    }
    return real;
  }

  async readFile(path: string): Promise<string | undefined> {
    const real = await this.inside(path);
    if (real === undefined) return undefined;
    const info = await stat(real);
    if (!info.isFile()) return undefined;
    if (info.size > MAX_FLEET_FILE_BYTES) {
      throw new FerryError(
        'FERRY_INVALID',
        `${path}: file is larger than ${MAX_FLEET_FILE_BYTES} bytes`,
        { path },
      );
    }
    return readFile(real, 'utf8');
  }

  async listFolder(path: string): Promise<string[]> {
    const real = await this.inside(path);
    if (real === undefined) return [];
    return (await readdir(real).catch(() => [])).sort();
  }

  async kindOf(path: string): Promise<EntryKind | undefined> {
    const target = join(this.root, path);
    const info = await lstat(target).catch(() => undefined);
    if (!info) return undefined;
    if (info.isSymbolicLink()) return 'symlink';
    if (info.isDirectory()) return 'folder';
    if (!info.isFile()) return undefined;
    return info.mode & 0o111 ? 'executable' : 'file';
  }

  async readBytes(path: string, maxBytes: number): Promise<Buffer | undefined> {
    const real = await this.inside(path);
    if (real === undefined) return undefined;
    const info = await stat(real);
    if (!info.isFile()) return undefined;
    if (info.size > maxBytes)
      throw new FerryError('FERRY_INVALID', `${path}: file is larger than ${maxBytes} bytes`, {
        path,
      });
    return readFile(real);
  }

  /** A directory has no revisions, but one inside a git work tree can read that repository's. */
  async atRevision(revision: string): Promise<FleetReader> {
    const gitdir = await findGitDir(this.root);
    if (!gitdir) {
      throw new FerryError(
        'FERRY_NOT_FOUND',
        `revision '${revision}' needs the fleet to be in a git repository`,
        { revision },
      );
    }
    const root = relative(dirname(gitdir), this.root).split(sep).join('/') || '.';
    return GitTreeReader.open({ gitdir, root }, revision);
  }
}

async function findGitDir(folder: string): Promise<string | undefined> {
  for (let dir = folder; ; dir = dirname(dir)) {
    const candidate = join(dir, '.git');
    if ((await stat(candidate).catch(() => undefined))?.isDirectory()) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}
