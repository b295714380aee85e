// What the builder builds from: a commit's tree, read from the git object store (no checkout), so
// the image holds exactly what was committed, never a half-edited work tree. Every file gets one
// fixed time (layer-time.ts), so nothing of the commit but its content reaches the image: not its
// date, its branch, its parents, or how deep the clone is.
import * as fs from 'node:fs';
import git from 'isomorphic-git';
import { FerryError } from '#kernel/errors.js';
import { writeTar, type EntryHeader } from '../image/tar-buffer.js';

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
