// The demo's fleet repository: a bare repository on the local git server, seeded from
// fleet-examples/bms with this run's device ids and host ports, and a work tree in which the demo
// plays the operator (git CLI, as a person would use it).
import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { DemoRun } from './demo-run.js';

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
  readonly run: DemoRun;
}): Promise<DemoRepo> {
  const { run } = options;
  const bare = join(options.gitRoot, run.repoPath);
  const workTree = join(run.dir, 'fleet');
  await mkdir(join(options.gitRoot, 'demo'), { recursive: true });
  await exec('git', ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  await cp(options.from, workTree, { recursive: true });
  await personalize(workTree, run);
  const git = async (...args: string[]) =>
    (await exec('git', args, { cwd: workTree })).stdout.trim();
  const url = `${options.gitUrl}/${run.repoPath}`;
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

/** The bare repository of a run, removed with the run. */
export async function removeDemoRepo(gitRoot: string, run: DemoRun): Promise<void> {
  await rm(join(gitRoot, run.repoPath), { recursive: true, force: true });
}

/**
 * This run's copy of the example: device files named for its device ids, and its own host ports
 * for what the stacks publish (fleet-examples/bms itself is not changed).
 */
async function personalize(workTree: string, run: DemoRun): Promise<void> {
  for (const device of run.devices) {
    const from = join(workTree, 'devices', `${device.example}.yaml`);
    const text = replaceOnce(
      await readFile(from, 'utf8'),
      /HTTP_PORT: "\d+"/,
      () => `HTTP_PORT: "${device.httpPort}"`,
      from,
    );
    await writeFile(join(workTree, 'devices', `${device.id}.yaml`), text);
    await rm(from);
  }
  const ids = new Map(run.devices.map((d) => [d.example, d.id]));
  await edit(join(workTree, 'fleet.yaml'), /devices: \[([^\]]*)\]/, (_, list: string) => {
    const named = list.split(',').map((d) => ids.get(d.trim()) ?? d.trim());
    return `devices: [${named.join(', ')}]`;
  });
  await edit(
    join(workTree, 'stacks/bms-dashboard/compose.yaml'),
    /"8000:8000"/,
    () => `"${run.dashboardPort}:8000"`,
  );
}

async function edit(
  file: string,
  pattern: RegExp,
  to: (match: string, ...groups: string[]) => string,
): Promise<void> {
  await writeFile(file, replaceOnce(await readFile(file, 'utf8'), pattern, to, file));
}

/** Replaces `pattern`, which must be there: the demo stops loudly if the example changed. */
function replaceOnce(
  text: string,
  pattern: RegExp,
  to: (match: string, ...groups: string[]) => string,
  file: string,
): string {
  if (!pattern.test(text)) throw new Error(`demo: ${file} no longer has ${String(pattern)}`);
  return text.replace(pattern, to);
}
