// One demo run's names: its own device ids, host ports, API ports, fleet repository and folder,
// so that two demos on one engine (two terminals, two CI jobs) never touch each other's gateways.
// A run leaves a record (run.json) in its folder; a later demo cleans up the runs whose demo
// process is gone (killed), and never a live one.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '../test/helpers/free-port.js';

export interface DemoRun {
  /** A few hex digits, in every name this run gives. */
  readonly id: string;
  /** This run's folder: gateways' state and logs, the operator's work tree. */
  readonly dir: string;
  /** The fleet repository's path on the git server, e.g. `demo/bms-3f2a.git`. */
  readonly repoPath: string;
  readonly devices: readonly RunDevice[];
  /** The host port the dashboard (floor-0's second stack) publishes. */
  readonly dashboardPort: number;
  /** The demo process; its run is left alone while it lives. */
  readonly pid: number;
}

export interface RunDevice {
  /** As in fleet-examples/bms (`floor-0`), and as this run names it (`floor-0-3f2a`). */
  readonly example: string;
  readonly id: string;
  /** The host port its collector publishes (the device's HTTP_PORT). */
  readonly httpPort: number;
  /** Its ferryd's API. */
  readonly apiPort: number;
}

export async function newRun(home: string, examples: readonly string[]): Promise<DemoRun> {
  const id = randomBytes(2).toString('hex');
  const devices: RunDevice[] = [];
  for (const example of examples)
    devices.push({
      example,
      id: `${example}-${id}`,
      httpPort: await freePort(),
      apiPort: await freePort(),
    });
  const run: DemoRun = {
    id,
    dir: join(home, `run-${id}`),
    repoPath: `demo/bms-${id}.git`,
    devices,
    dashboardPort: await freePort(),
    pid: process.pid,
  };
  await mkdir(run.dir, { recursive: true });
  // Whole or not at all: a demo killed while writing it leaves no record a later run cannot read.
  await writeFile(join(run.dir, 'run.json.tmp'), JSON.stringify(run));
  await rename(join(run.dir, 'run.json.tmp'), join(run.dir, 'run.json'));
  return run;
}

/** Past runs under `home` whose demo process is gone (it was killed): theirs to clean up. */
export async function abandonedRuns(home: string): Promise<DemoRun[]> {
  const entries = await readdir(home).catch(() => [] as string[]);
  const runs: DemoRun[] = [];
  for (const entry of entries.filter((e) => e.startsWith('run-'))) {
    const text = await readFile(join(home, entry, 'run.json'), 'utf8').catch(() => undefined);
    if (!text) continue;
    const run = JSON.parse(text) as DemoRun;
    if (!alive(run.pid)) runs.push(run);
  }
  return runs;
}

export async function removeRunFolder(run: DemoRun): Promise<void> {
  await rm(run.dir, { recursive: true, force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
