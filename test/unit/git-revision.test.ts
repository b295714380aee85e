// Revisions as users type them (`ferry plan --base HEAD~1`, `--base FETCH_HEAD` in a GitLab job),
// resolved by Ferry and by git itself on the same repository: they must name the same commit.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { gitDirOf, resolveCommit } from '#kernel/source/git-revision.js';

const exec = promisify(execFile);
let root: string;
let repo: string;

const git = async (cwd: string, ...args: string[]) =>
  (await exec('git', args, { cwd })).stdout.trim();

async function commit(message: string, file = 'fleet.yaml'): Promise<void> {
  await writeFile(join(repo, file), `${message}\n`);
  await git(repo, 'add', '-A');
  await git(repo, 'commit', '-q', '-m', message);
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-revisions-'));
  repo = join(root, 'fleet');
  await exec('git', ['init', '-q', '--initial-branch=main', repo]);
  await git(repo, 'config', 'user.email', 't@ferry.test');
  await git(repo, 'config', 'user.name', 'T');
  for (const n of [1, 2, 3]) await commit(`release ${n}`);
  await git(repo, 'checkout', '-q', '-b', 'review', 'HEAD~1');
  await commit('a change under review', 'notes.txt');
  await git(repo, 'checkout', '-q', 'main');
  await git(repo, 'merge', '-q', '--no-edit', 'review');
  await git(repo, 'tag', '-a', '-m', 'the first release', 'v1', 'HEAD~2');
  await git(repo, 'fetch', '-q', '.', 'review');
});
after(() => rm(root, { recursive: true, force: true }));

describe('resolveCommit', () => {
  const revisions = [
    'HEAD',
    '@',
    'main',
    'review',
    'v1',
    'FETCH_HEAD',
    'HEAD~1',
    'HEAD~',
    'HEAD~2',
    'HEAD^',
    'HEAD^1',
    'HEAD^2',
    'HEAD^2~1',
    'HEAD~1^',
    '@~1',
    'main^0',
    'v1~1',
  ];
  for (const revision of revisions)
    it(`resolves ${revision} as git rev-parse does`, async () => {
      const expected = await git(repo, 'rev-parse', `${revision}^{commit}`);
      assert.equal(await resolveCommit(await gitDirOf(repo), revision), expected);
    });

  it('resolves a short commit id', async () => {
    const full = await git(repo, 'rev-parse', 'HEAD~1');
    assert.equal(await resolveCommit(await gitDirOf(repo), full.slice(0, 8)), full);
  });

  it('says which parent is missing, and what a shallow clone lacks', async () => {
    const gitdir = await gitDirOf(repo);
    await assert.rejects(
      resolveCommit(gitdir, 'HEAD~9'),
      /'HEAD~9' not found: commit \w+ has no parent 1/,
    );
    await assert.rejects(resolveCommit(gitdir, 'HEAD^3'), /has no parent 3/);
    await assert.rejects(resolveCommit(gitdir, 'nothing'), /'nothing' not found in/);
    const shallow = join(root, 'shallow');
    await exec('git', ['clone', '-q', '--depth', '1', `file://${repo}`, shallow]);
    await assert.rejects(
      resolveCommit(await gitDirOf(shallow), 'HEAD~1'),
      /'HEAD~1' not found: commit \w+ is not in .* \(a shallow clone\? fetch more history\)/,
    );
    await assert.rejects(resolveCommit(await gitDirOf(shallow), 'FETCH_HEAD'), /no FETCH_HEAD/);
  });
});
