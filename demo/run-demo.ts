// `npm run demo`: Ferry's main job on an embedded default. The BMS example fleet goes into a git
// repository on this machine, `ferry build` builds and pins its images, three simulated gateways
// (ferryd, devices floor-0..2 named for the run, e.g. floor-0-3f2a) converge on it; then a code change is committed and built, and each
// gateway downloads only the changed layer. Needs the services of test/env/up.sh (the npm script
// starts them). `--follow` keeps the gateways running until Ctrl-C; `--json` ends with a summary.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Docker from 'dockerode';
import { destination, pino } from 'pino';
import { runBuild } from '../builder/src/pipeline/run-build.js';
import { formatBytes } from '../builder/src/format-bytes.js';
import type { BuildReport } from '../builder/src/pipeline/build-fleet.js';
import type { DaemonStatus } from '../daemon/src/report/daemon-status.js';
import { createDemoRepo, removeDemoRepo, type DemoRepo } from './demo-repo.js';
import { abandonedRuns, newRun, removeRunFolder, type DemoRun } from './demo-run.js';
import {
  startGateway,
  stopGateways,
  stopLeftovers,
  waitConverged,
  type Gateway,
} from './gateways.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLE_DEVICES = ['floor-0', 'floor-1', 'floor-2'] as const;
const home = process.env.FERRY_DEMO_HOME ?? '/var/tmp/ferry-demo';
const gitRoot = join(process.env.FERRY_TEST_HOME ?? '/var/tmp/ferry-test', 'git');
const gitUrl = process.env.FERRY_TEST_GIT ?? 'http://127.0.0.1:5103';
const { values: flags } = parseArgs({
  options: { follow: { type: 'boolean' }, json: { type: 'boolean' } },
});
const say = (line = '') => console.log(line);
const short = (id: string) => id.slice(0, 12);

/** Removes the containers, networks and volumes a run's gateways made. */
async function removeDemoContainers(docker: Docker, run: DemoRun): Promise<void> {
  for (const { id: device } of run.devices) {
    const mine = JSON.stringify({ label: [`ferry.device=${device}`] });
    for (const c of await docker.listContainers({ all: true, filters: mine }))
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
    for (const n of await docker.listNetworks({ filters: mine }))
      await docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => undefined);
    for (const v of (await docker.listVolumes({ filters: mine })).Volumes ?? [])
      await docker
        .getVolume(v.Name)
        .remove()
        .catch(() => undefined);
  }
}

async function buildAndPush(repo: DemoRepo): Promise<{ report: BuildReport; commit: string }> {
  const logger = pino({ level: 'warn' }, destination(2));
  const { report, pinCommit } = await runBuild(
    repo.workTree,
    {
      path: '.',
      revision: 'HEAD',
      push: true,
      commit: true,
      platform: ['linux/amd64'],
      cache: true,
    },
    logger,
  );
  if (pinCommit) await repo.push();
  return { report, commit: await repo.head() };
}

function table(
  gateways: readonly Gateway[],
  statuses: readonly DaemonStatus[],
  bytes: number[],
  expected?: number[],
): void {
  say(
    `   ${'device'.padEnd(12)} ${'revision'.padEnd(13)} ${'state'.padEnd(10)} ${'containers'.padEnd(11)} downloaded${expected ? '   changed layers' : ''}`,
  );
  statuses.forEach((s, i) => {
    const running = s.containers.running ?? 0;
    say(
      `   ${gateways[i]!.device.padEnd(12)} ${short(s.appliedRevision ?? '-').padEnd(13)} ${(s.lastPass?.converged ? 'converged' : 'updating').padEnd(10)} ${`${running} running`.padEnd(11)} ${formatBytes(bytes[i]!).padStart(10)}${expected ? `   ${formatBytes(expected[i]!).padStart(14)}` : ''}`,
    );
  });
}

async function main(): Promise<void> {
  const docker = new Docker();
  // What killed demos left behind goes; a demo still running elsewhere is left alone.
  for (const past of await abandonedRuns(home)) {
    await stopLeftovers(past);
    await removeDemoContainers(docker, past);
    await removeDemoRepo(gitRoot, past);
    await removeRunFolder(past);
  }
  const run = await newRun(home, EXAMPLE_DEVICES);
  const names = run.devices.map((d) => d.id);
  say(
    `Ferry demo (run ${run.id}): the BMS fleet on three simulated gateways (${names.join(', ')})`,
  );

  const repo = await createDemoRepo({
    from: join(root, 'fleet-examples/bms'),
    gitRoot,
    gitUrl,
    run,
  });
  await repo.commit('BMS fleet from fleet-examples/bms');
  await repo.push();
  say(`1. fleet repository ${repo.url} (from fleet-examples/bms)`);

  const first = await buildAndPush(repo);
  say(
    `2. ferry build --push --commit: ${first.report.images.length} images built and pinned (commit ${short(first.commit)})`,
  );

  const ferryd = join(root, 'bin/ferryd.js');
  const gateways: Gateway[] = [];
  for (const device of run.devices)
    gateways.push(await startGateway(ferryd, run, device, repo.url));
  say(
    `3. gateways started: ferryd run for each device (engine namespaces ${names.join(', ')}); converging...`,
  );
  let statuses = await waitConverged(gateways, first.commit);
  const installed = statuses.map((s) => s.bytesDownloaded);
  table(gateways, statuses, installed);

  const script = join(repo.workTree, 'apps/collector/collect.sh');
  await writeFile(
    script,
    `${await readFile(script, 'utf8')}# demo change ${new Date().toISOString()}\n`,
  );
  await repo.commit('collector: a code change');
  const second = await buildAndPush(repo);
  const collector = second.report.images.find((i) => i.image.endsWith('/bms/collector'))!;
  const changed = collector.platforms[0]!.layers.filter((l) => l.changed);
  const changedBytes = changed.reduce((sum, l) => sum + l.size, 0);
  say(
    `4. code change in apps/collector/collect.sh, committed; ferry build pinned ${collector.image.split('/').slice(1).join('/')}: ` +
      `${changed.length} of ${collector.platforms[0]!.layers.length} layers changed (${formatBytes(changedBytes)}); commit ${short(second.commit)}`,
  );
  for (const g of gateways) await fetch(`${g.api}/sync`, { method: 'POST' }).catch(() => undefined);
  statuses = await waitConverged(gateways, second.commit);
  const updated = statuses.map((s, i) => s.bytesDownloaded - installed[i]!);
  table(
    gateways,
    statuses,
    updated,
    updated.map(() => changedBytes),
  );
  const exact = updated.every((b) => b === changedBytes);
  say(`   every gateway downloaded exactly the changed layer: ${exact ? 'yes' : 'NO'}`);

  if (flags.json)
    console.log(
      JSON.stringify({
        repository: repo.url,
        revisions: [first.commit, second.commit],
        changedLayerBytes: changedBytes,
        collector: [collector.previous, collector.digest].map((d) => `${collector.image}@${d}`),
        devices: gateways.map((g, i) => ({
          device: g.device,
          installBytes: installed[i],
          updateBytes: updated[i],
          converged: statuses[i]!.lastPass?.converged ?? false,
        })),
      }),
    );

  if (flags.follow) {
    say(`gateways keep running (status: curl ${gateways[0]!.api}/status); Ctrl-C stops them`);
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  }
  await stopGateways(gateways);
  await removeDemoContainers(docker, run);
  await removeDemoRepo(gitRoot, run);
  await removeRunFolder(run);
  say(
    flags.follow
      ? 'stopped.'
      : 'done: gateways stopped and their containers removed (--follow keeps them running).',
  );
  process.exitCode = exact ? 0 : 1;
}

await main();
