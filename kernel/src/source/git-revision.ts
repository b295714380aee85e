// Revisions as git spells them, resolved with isomorphic-git (which resolves ref names only): a
// commit id or a short one, a branch, tag or remote branch, HEAD or `@`, FETCH_HEAD and the other
// heads git leaves in the git dir, each followed by any chain of `~N` (the Nth first-parent
// ancestor) and `^N` (the Nth parent), as users type them in CI jobs (`--base HEAD~1`,
// `--base FETCH_HEAD`). isomorphic-git has no rev-parse; this is the part of it Ferry needs.
import * as fs from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import git from 'isomorphic-git';
import { FerryError } from '../errors.js';

/** Heads git writes as files in the git dir, whose first line starts with a commit id. */
const FILE_HEADS = new Set(['FETCH_HEAD', 'ORIG_HEAD', 'MERGE_HEAD', 'CHERRY_PICK_HEAD']);

/** The git dir of a work tree (its `.git` folder) or of a bare repository (itself). */
export async function gitDirOf(repo: string): Promise<string> {
  const dotGit = join(repo, '.git');
  return (await stat(dotGit).catch(() => undefined))?.isDirectory() ? dotGit : repo;
}

const notFound = (revision: string, why: string) =>
  new FerryError('FERRY_NOT_FOUND', `revision '${revision}' ${why}`, { revision });

/** Resolves a revision (see above) to a full commit id. */
export async function resolveCommit(gitdir: string, revision: string): Promise<string> {
  const [, name = '', path = ''] = /^(.*?)((?:[~^]\d*)*)$/.exec(revision) ?? [];
  let oid = await peelToCommit(gitdir, await resolveName(gitdir, name, revision), revision);
  for (const [, op, digits] of path.matchAll(/([~^])(\d*)/g)) {
    const count = digits === '' ? 1 : Number(digits);
    if (op === '~') for (let i = 0; i < count; i++) oid = await parentOf(gitdir, oid, 1, revision);
    else if (count > 0) oid = await parentOf(gitdir, oid, count, revision);
  }
  if (path) await readObject(gitdir, oid, revision); // present, not only named by its child
  return oid;
}

async function resolveName(gitdir: string, name: string, revision: string): Promise<string> {
  const ref = name === '@' ? 'HEAD' : name;
  if (FILE_HEADS.has(ref)) {
    const text = await readFile(join(gitdir, ref), 'utf8').catch(() => '');
    const oid = /^([0-9a-f]{40}|[0-9a-f]{64})\b/.exec(text)?.[1];
    if (oid) return oid;
    throw notFound(revision, `not found: no ${ref} in ${gitdir}`);
  }
  for (const candidate of [ref, `refs/remotes/origin/${ref}`]) {
    const oid = await git.resolveRef({ fs, gitdir, ref: candidate }).catch(() => undefined);
    if (oid) return oid;
  }
  if (/^[0-9a-f]{4,40}$/.test(ref)) {
    const oid = await git.expandOid({ fs, gitdir, oid: ref }).catch(() => undefined);
    if (oid) return oid;
  }
  throw notFound(revision, `not found in ${gitdir}`);
}

/** Peels annotated tags down to the commit they name. */
async function peelToCommit(gitdir: string, start: string, revision: string): Promise<string> {
  let oid = start;
  for (;;) {
    const object = await readObject(gitdir, oid, revision);
    if (object.type === 'commit') return oid;
    if (object.type !== 'tag') throw notFound(revision, 'is not a commit');
    oid = (object.object as { object: string }).object;
  }
}

/** The `n`th parent of a commit. */
async function parentOf(gitdir: string, oid: string, n: number, revision: string) {
  const object = await readObject(gitdir, oid, revision);
  const parent = (object.object as { parent: string[] }).parent[n - 1];
  if (!parent) throw notFound(revision, `not found: commit ${oid.slice(0, 12)} has no parent ${n}`);
  return parent;
}

async function readObject(gitdir: string, oid: string, revision: string) {
  return git.readObject({ fs, gitdir, oid }).catch(() => {
    // A shallow clone (CI checkouts fetch one commit by default) lacks the older commits.
    throw notFound(
      revision,
      `not found: commit ${oid.slice(0, 12)} is not in ${gitdir} (a shallow clone? fetch more history)`,
    );
  });
}
