// Reads the fleet from a commit of a local git repository with isomorphic-git: straight from the
// object store, no checkout, so several revisions can be read side by side.
import * as fs from 'node:fs';
import git from 'isomorphic-git';
import { FerryError } from '../errors.js';
import { resolveCommit } from './git-revision.js';
import { MAX_FLEET_FILE_BYTES, type EntryKind, type FleetReader } from './fleet-reader.js';

export interface GitLocation {
  /** The repository's git dir (`.git` of a work tree, or a bare repository). */
  readonly gitdir: string;
  /** Fleet root inside the repository ('.' for the top). */
  readonly root: string;
}

type TreeEntries = readonly { path: string; oid: string; type: string; mode: string }[];

export class GitTreeReader implements FleetReader {
  /** Trees read so far, by object id (shared by readers of one repository: trees never change). */
  readonly #trees: Map<string, TreeEntries>;

  private constructor(
    private readonly location: GitLocation,
    readonly revision: string,
    trees: Map<string, TreeEntries>,
  ) {
    this.#trees = trees;
  }

  static async open(
    location: GitLocation,
    revision: string,
    trees = new Map<string, TreeEntries>(),
  ): Promise<GitTreeReader> {
    return new GitTreeReader(location, await resolveCommit(location.gitdir, revision), trees);
  }

  private full(path: string): string {
    const root = this.location.root === '.' ? '' : this.location.root;
    return [root, path === '.' ? '' : path].filter(Boolean).join('/');
  }

  async #tree(oid: string): Promise<TreeEntries> {
    let entries = this.#trees.get(oid);
    if (!entries) {
      entries = (await git.readTree({ fs, gitdir: this.location.gitdir, oid })).tree;
      this.#trees.set(oid, entries);
    }
    return entries;
  }

  /**
   * The object at `path` in this commit, walking cached trees: reading every file of a folder of
   * 10,000 device files reads that folder's tree once, not once per file.
   */
  async #entry(path: string): Promise<{ oid: string; type: string; mode?: string } | undefined> {
    let entry: { oid: string; type: string; mode?: string } | undefined = {
      oid: this.revision,
      type: 'tree',
    };
    for (const part of this.full(path).split('/').filter(Boolean)) {
      if (entry.type !== 'tree') return undefined;
      entry = (await this.#tree(entry.oid)).find((e) => e.path === part);
      if (!entry) return undefined;
    }
    return entry;
  }

  async readFile(path: string): Promise<string | undefined> {
    const entry = await this.#entry(path).catch(() => undefined);
    if (entry?.type !== 'blob') return undefined;
    const { gitdir } = this.location;
    const found = await git.readBlob({ fs, gitdir, oid: entry.oid }).catch(() => undefined);
    if (!found) return undefined;
    if (found.blob.byteLength > MAX_FLEET_FILE_BYTES) {
      throw new FerryError(
        'FERRY_INVALID',
        `${path}: file is larger than ${MAX_FLEET_FILE_BYTES} bytes`,
        { path },
      );
    }
    return Buffer.from(found.blob).toString('utf8');
  }

  async listFolder(path: string): Promise<string[]> {
    const entry = await this.#entry(path).catch(() => undefined);
    if (entry?.type !== 'tree') return [];
    return (await this.#tree(entry.oid)).map((e) => e.path).sort();
  }

  async kindOf(path: string): Promise<EntryKind | undefined> {
    const entry = await this.#entry(path).catch(() => undefined);
    if (!entry) return undefined;
    if (entry.type === 'tree') return 'folder';
    if (entry.mode === '120000') return 'symlink';
    return entry.mode === '100755' ? 'executable' : 'file';
  }

  async readBytes(path: string, maxBytes: number): Promise<Buffer | undefined> {
    const entry = await this.#entry(path).catch(() => undefined);
    if (entry?.type !== 'blob' || entry.mode === '120000') return undefined;
    const { gitdir } = this.location;
    const found = await git.readBlob({ fs, gitdir, oid: entry.oid }).catch(() => undefined);
    if (!found) return undefined;
    if (found.blob.byteLength > maxBytes)
      throw new FerryError('FERRY_INVALID', `${path}: file is larger than ${maxBytes} bytes`, {
        path,
      });
    return Buffer.from(found.blob);
  }

  atRevision(revision: string): Promise<FleetReader> {
    return GitTreeReader.open(this.location, revision, this.#trees);
  }
}
