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
  commit(message: string): Promise<string>;
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
    async commit(message) {
      await git(workTree, 'add', '-A');
      await git(workTree, 'commit', '--quiet', '--allow-empty', '-m', message);
      await git(workTree, 'push', '--quiet', 'origin', 'main');
      return git(workTree, 'rev-parse', 'HEAD');
    },
    async remove() {
      await rm(workTree, { recursive: true, force: true });
      await rm(bare, { recursive: true, force: true });
    },
  };
}
