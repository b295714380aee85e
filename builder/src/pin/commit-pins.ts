// Commits pinned compose files with isomorphic-git. The commit is written object by object
// (blobs, the trees above them, the commit) on top of the branch's head, so whatever else is
// staged or edited in the work tree never slips into the builder's commit.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import git from 'isomorphic-git';
import { FerryError } from '#kernel/errors.js';

export interface Author {
  readonly name: string;
  readonly email: string;
}

export interface PinCommit {
  /** The work tree (for the checked-out branch) and its git dir. */
  readonly dir: string;
  readonly gitdir: string;
  /** The commit the pins are made on: what was built. */
  readonly parent: string;
  /** Repository path -> new content. */
  readonly files: ReadonlyMap<string, string>;
  readonly message: string;
  readonly author: Author;
  /** Commit to this branch (created or moved) instead of the checked-out one. */
  readonly branch?: string;
}

/**
 * The author of builder commits: `--author`, else git config user.* as git reads it (the
 * repository's, then the user's and the system's), else Ferry's own.
 */
export async function commitAuthor(gitdir: string, given?: string): Promise<Author> {
  const match = given ? /^\s*(.+?)\s*<([^>]+)>\s*$/.exec(given) : null;
  if (given && !match)
    throw new FerryError('FERRY_USAGE', `--author '${given}': expected "Name <email>"`);
  if (match) return { name: match[1]!, email: match[2]! };
  const setting = async (path: string) =>
    ((await git.getConfig({ fs, gitdir, path })) as string | undefined) ??
    (await gitConfig(gitdir, path));
  return {
    name: (await setting('user.name')) ?? 'Ferry builder',
    email: (await setting('user.email')) ?? 'ferry@localhost',
  };
}

/** `git config --get` (global and system settings too), when git is installed. */
async function gitConfig(gitdir: string, key: string): Promise<string | undefined> {
  return new Promise((resolve) =>
    execFile('git', ['--git-dir', gitdir, 'config', '--get', key], (error, stdout) =>
      resolve(error ? undefined : stdout.trim() || undefined),
    ),
  );
}

/** Writes a tree equal to `treeOid` with the file at `parts` set to `blobOid`. */
async function replaceInTree(
  gitdir: string,
  treeOid: string | undefined,
  parts: readonly string[],
  blobOid: string,
): Promise<string> {
  const entries = treeOid ? (await git.readTree({ fs, gitdir, oid: treeOid })).tree : [];
  const [name, ...rest] = parts;
  const existing = entries.find((e) => e.path === name);
  const oid =
    rest.length === 0
      ? blobOid
      : await replaceInTree(
          gitdir,
          existing?.type === 'tree' ? existing.oid : undefined,
          rest,
          blobOid,
        );
  const entry =
    rest.length === 0
      ? {
          mode: existing?.type === 'blob' ? existing.mode : '100644',
          path: name!,
          oid,
          type: 'blob' as const,
        }
      : { mode: '040000', path: name!, oid, type: 'tree' as const };
  const tree = [...entries.filter((e) => e.path !== name), entry];
  return git.writeTree({ fs, gitdir, tree });
}

/** Makes the commit and moves the branch to it; returns the new commit id. */
export async function commitPins(request: PinCommit): Promise<string> {
  const { dir, gitdir } = request;
  const checkedOut = await git.currentBranch({ fs, gitdir });
  const branch = request.branch ?? checkedOut;
  if (!branch)
    throw new FerryError(
      'FERRY_USAGE',
      'HEAD is detached: name a branch to commit the pins to (--branch)',
    );
  const onWorkTree = branch === checkedOut;
  if (onWorkTree) {
    const head = await git.resolveRef({ fs, gitdir, ref: 'HEAD' });
    if (head !== request.parent)
      throw new FerryError('FERRY_USAGE', `branch ${branch} moved during the build; build again`);
    for (const path of request.files.keys()) {
      const [, , workdir] =
        (await git.statusMatrix({ fs, dir, gitdir, filepaths: [path] }))[0] ?? [];
      if (workdir !== 1)
        throw new FerryError(
          'FERRY_USAGE',
          `${path} has uncommitted changes; commit or stash them before --commit`,
        );
    }
  }

  let tree = (await git.readCommit({ fs, gitdir, oid: request.parent })).commit.tree;
  for (const [path, text] of request.files) {
    const blob = await git.writeBlob({ fs, gitdir, blob: Buffer.from(text) });
    tree = await replaceInTree(gitdir, tree, path.split('/'), blob);
  }
  const now = Math.floor(Date.now() / 1000);
  const who = { ...request.author, timestamp: now, timezoneOffset: 0 };
  const oid = await git.writeCommit({
    fs,
    gitdir,
    commit: {
      message: request.message,
      tree,
      parent: [request.parent],
      author: who,
      committer: who,
    },
  });
  await git.writeRef({ fs, gitdir, ref: `refs/heads/${branch}`, value: oid, force: true });
  if (onWorkTree) {
    for (const [path, text] of request.files) await writeFile(join(dir, path), text);
    await git.add({ fs, dir, gitdir, filepath: [...request.files.keys()] });
  }
  return oid;
}
