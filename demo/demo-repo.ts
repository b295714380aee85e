// The demo's fleet repository: a bare repository on the local git server, seeded from
// fleet-examples/bms, and a work tree in which the demo plays the operator (git CLI, as a person
// would use it).
import { execFile } from 'node:child_process';
import { cp, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface DemoRepo {
  readonly url: string;
  readonly workTree: string;
  commit(message: string): Promise<string>;
  push(): Promise<void>;
  head(): Promise<string>;
}

export async function createDemoRepo(options: {
  readonly from: string;
  readonly gitRoot: string;
  readonly gitUrl: string;
  readonly home: string;
}): Promise<DemoRepo> {
  const bare = join(options.gitRoot, 'demo', 'bms.git');
  const workTree = join(options.home, 'fleet');
  await rm(bare, { recursive: true, force: true });
  await rm(workTree, { recursive: true, force: true });
  await mkdir(join(options.gitRoot, 'demo'), { recursive: true });
  await exec('git', ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  await cp(options.from, workTree, { recursive: true });
  const git = async (...args: string[]) =>
    (await exec('git', args, { cwd: workTree })).stdout.trim();
  const url = `${options.gitUrl}/demo/bms.git`;
  await git('init', '--quiet', '--initial-branch=main');
  await git('config', 'user.name', 'Demo Operator');
  await git('config', 'user.email', 'operator@ferry.demo');
  await git('remote', 'add', 'origin', url);
  return {
    url,
    workTree,
    async commit(message) {
      await git('add', '-A');
      await git('commit', '--quiet', '-m', message);
      return git('rev-parse', 'HEAD');
    },
    push: async () => void (await git('push', '--quiet', 'origin', 'main')),
    head: () => git('rev-parse', 'HEAD'),
  };
}
