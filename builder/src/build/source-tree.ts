// What the builder builds from: a commit's tree, read from the git object store (no checkout), so
// the image holds exactly what was committed, never a half-edited work tree. File times in the
// build context are the source date: the time of the newest commit that changed the context.
// Commits that touch other parts of the repository (including the pins the builder itself
// commits) leave that date, and so every layer digest, unchanged.
import * as fs from 'node:fs';
import git from 'isomorphic-git';
import { FerryError } from '../../../schema/src/errors.js';
import { writeTar, type EntryHeader } from './tar-buffer.js';

/** How far back the source date search walks before settling on the oldest commit it saw. */
const MAX_HISTORY = 10_000;

export interface SourceDate {
  /** The newest commit that changed any of the paths. */
  readonly commit: string;
  readonly date: Date;
}

/** The object id at `path` in a commit (tree or blob), or undefined when there is none. */
async function pathOid(gitdir: string, commit: string, path: string): Promise<string | undefined> {
  if (path === '' || path === '.')
    return (await git.readCommit({ fs, gitdir, oid: commit })).commit.tree;
  const tree = await git
    .readTree({ fs, gitdir, oid: commit, filepath: path })
    .catch(() => undefined);
  if (tree) return tree.oid;
  const blob = await git
    .readBlob({ fs, gitdir, oid: commit, filepath: path })
    .catch(() => undefined);
  return blob?.oid;
}

async function pathOids(gitdir: string, commit: string, paths: readonly string[]): Promise<string> {
  const oids = await Promise.all(paths.map((p) => pathOid(gitdir, commit, p)));
  return oids.map((o) => o ?? '-').join(' ');
}

/** The newest commit, following first parents from `head`, at which `paths` last changed. */
export async function sourceDate(
  gitdir: string,
  head: string,
  paths: readonly string[],
): Promise<SourceDate> {
  const wanted = await pathOids(gitdir, head, paths);
  let current = head;
  for (let steps = 0; steps < MAX_HISTORY; steps += 1) {
    const { commit } = await git.readCommit({ fs, gitdir, oid: current });
    const parent = commit.parent[0];
    // A shallow clone ends here: the oldest commit we can see is the best answer we have.
    const same = parent
      ? await pathOids(gitdir, parent, paths).then(
          (oids) => oids === wanted,
          () => false,
        )
      : false;
    if (!same) return { commit: current, date: new Date(commit.committer.timestamp * 1000) };
    current = parent!;
  }
  const { commit } = await git.readCommit({ fs, gitdir, oid: current });
  return { commit: current, date: new Date(commit.committer.timestamp * 1000) };
}

export interface ContextOptions {
  /** Folder of the build context in the repository. */
  readonly context: string;
  /** A Dockerfile outside the context is added to the tar under this name. */
  readonly extraDockerfile?: { readonly path: string; readonly name: string };
  readonly mtime: Date;
}

/** The build context of a commit as a tar, every entry owned by root and dated `mtime`. */
export async function contextTar(
  gitdir: string,
  commit: string,
  options: ContextOptions,
): Promise<Buffer> {
  const entries: { header: EntryHeader; body?: Buffer }[] = [];
  const common = { mtime: options.mtime, uid: 0, gid: 0 };
  const add = (header: EntryHeader, body?: Buffer) =>
    entries.push({ header: { ...common, ...header }, ...(body ? { body } : {}) });

  const walk = async (treePath: string, prefix: string): Promise<void> => {
    const found = await git
      .readTree({ fs, gitdir, oid: commit, ...(treePath ? { filepath: treePath } : {}) })
      .catch(() => undefined);
    if (!found)
      throw new FerryError(
        'FERRY_INVALID',
        `build context '${options.context}' is not a folder in commit ${commit.slice(0, 12)}`,
      );
    for (const entry of [...found.tree].sort((a, b) => (a.path < b.path ? -1 : 1))) {
      const name = prefix + entry.path;
      const path = treePath ? `${treePath}/${entry.path}` : entry.path;
      if (entry.type === 'tree') {
        add({ name: `${name}/`, type: 'directory', mode: 0o755 });
        await walk(path, `${name}/`);
      } else if (entry.type === 'blob') {
        const { blob } = await git.readBlob({ fs, gitdir, oid: entry.oid });
        if (entry.mode === '120000')
          add({ name, type: 'symlink', linkname: Buffer.from(blob).toString('utf8'), mode: 0o777 });
        else
          add(
            { name, type: 'file', mode: entry.mode === '100755' ? 0o755 : 0o644 },
            Buffer.from(blob),
          );
      }
      // Submodules (commit entries) are not part of a build context.
    }
  };
  await walk(options.context === '.' ? '' : options.context, '');
  if (options.extraDockerfile) {
    const { blob } = await git.readBlob({
      fs,
      gitdir,
      oid: commit,
      filepath: options.extraDockerfile.path,
    });
    add({ name: options.extraDockerfile.name, type: 'file', mode: 0o644 }, Buffer.from(blob));
  }
  return writeTar(entries);
}
