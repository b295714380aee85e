// Bare fleet repositories served by the test git HTTP server, and commits pushed to them with the
// real git client over HTTP, as an operator would.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { testEnv } from './test-env.js';

const exec = promisify(execFile);

export interface FleetRepo {
  readonly url: string;
  /** A local work tree to edit; `commit()` pushes what is in it. */
  readonly workTree: string;
  /**
   * Commits and pushes; signed (`git commit -S`) with `signingKey`: an SSH private key file, or
   * with `openpgp`, a gpg key id (from the keyring in $GNUPGHOME).
   */
  commit(message: string, options?: { signingKey?: string; openpgp?: boolean }): Promise<string>;
  /** Moves the branch to `revision` (a force-push), as someone rewriting history would. */
  forcePush(revision: string): Promise<void>;
  /** Runs git in the work tree. */
  git(...args: string[]): Promise<string>;
  remove(): Promise<void>;
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await exec('git', args, {
    cwd,
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
  });
  return stdout.trim();
}

/** Creates `<name>.git` on the test git server (under private/ when `auth`) seeded from `from`. */
export async function createFleetRepo(
  name: string,
  from: string,
  options: { auth?: boolean } = {},
): Promise<FleetRepo> {
  const relative = `${options.auth ? 'private/' : ''}${name}-${process.pid}-${Date.now()}.git`;
  const bare = join(testEnv.home, 'git', relative);
  await exec('git', ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  const workTree = await mkdtemp(join(tmpdir(), 'ferry-fleet-'));
  await cp(from, workTree, { recursive: true });
  await git(workTree, 'init', '--quiet', '--initial-branch=main');
  await git(workTree, 'config', 'user.email', 'operator@ferry.test');
  await git(workTree, 'config', 'user.name', 'Fleet Operator');
  const credentials = options.auth
    ? `${testEnv.gitUser.username}:${testEnv.gitUser.password}@`
    : '';
  const url = `${testEnv.git.replace('://', `://${credentials}`)}/${relative}`;
  await git(workTree, 'remote', 'add', 'origin', url);
  return {
    url: `${testEnv.git}/${relative}`,
    workTree,
    async commit(message, options = {}) {
      await git(workTree, 'add', '-A');
      const format = options.openpgp ? 'openpgp' : 'ssh';
      const signing = options.signingKey
        ? ['-c', `gpg.format=${format}`, '-c', `user.signingkey=${options.signingKey}`]
        : [];
      const sign = options.signingKey ? ['-S'] : [];
      await git(workTree, ...signing, 'commit', '--quiet', '--allow-empty', ...sign, '-m', message);
      await git(workTree, 'push', '--quiet', 'origin', 'main');
      return git(workTree, 'rev-parse', 'HEAD');
    },
    async forcePush(revision) {
      await git(workTree, 'reset', '--quiet', '--hard', revision);
      await git(workTree, 'push', '--quiet', '--force', 'origin', 'main');
    },
    git: (...args) => git(workTree, ...args),
    async remove() {
      await rm(workTree, { recursive: true, force: true });
      await rm(bare, { recursive: true, force: true });
    },
  };
}
