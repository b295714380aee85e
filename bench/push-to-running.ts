// Push-to-running latency of a small change, ferryd against the common cron-style baseline
// `git pull && docker-compose pull && docker-compose up -d` at the same poll interval; then
// ferryd's idle RSS and CPU time per no-op poll beside the baseline's CPU per no-op iteration.
// Run with the test environment up: `npm run bench:latency` (prints figures; asserts nothing).
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  cleanDevice,
  ferrydConfig,
  fleetYaml,
  pushTestImage,
  uniqueDevice,
  writeFleet,
} from '../test/helpers/ferryd-harness.js';
import { FerrydProcess } from '../test/helpers/ferryd-process.js';
import { createFleetRepo } from '../test/helpers/fleet-repo.js';
import { docker } from '../test/helpers/images.js';
import { repoRoot } from '../test/helpers/run-cli.js';

const exec = promisify(execFile);
const POLL_SECONDS = 2;
const CHANGES = Number(process.env.BENCH_CHANGES ?? 5);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 20);

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * Waits until a running container whose name starts with `prefix` has `wanted` in its
 * environment. With start-first, Ferry's new container runs (as `<name>.next`) before the old one
 * is retired, so the first running container with the new setting is what counts.
 */
async function waitForEnv(prefix: string, wanted: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const running = await docker.listContainers({
      filters: JSON.stringify({ name: [prefix], status: ['running'] }),
    });
    for (const c of running) {
      const info = await docker
        .getContainer(c.Id)
        .inspect()
        .catch(() => undefined);
      if (info?.Config.Env.includes(wanted)) return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no container ${prefix}* ran with ${wanted}`);
}

/** CPU seconds (user + system) a process has used, from /proc. */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function rssKiB(pid: number): Promise<number> {
  const match = /VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0);
}

/** Pushes land at a random point of the poll cycle, after the previous update has settled. */
async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 3000 + Math.random() * POLL_SECONDS * 1000));
}

async function main(): Promise<void> {
  // An app that exits promptly on SIGTERM, as a real service should (PID 1 ignores it otherwise,
  // and every stop would cost Docker's 10 s grace period, for both tools alike).
  const image = await pushTestImage('ferry-bench/app', [
    `CMD ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done"]`,
  ]);
  const stack = (n: number) =>
    `version: "3.7"\nservices:\n  app:\n    image: ${image}\n    environment: { CHANGE: "${n}" }\n`;

  // Ferry.
  const device = uniqueDevice('bench');
  const repo = await createFleetRepo('bench', `${repoRoot}/fleet-examples/bms/apps`);
  await writeFleet(repo.workTree, {
    'fleet.yaml': fleetYaml(
      `  - name: app\n    stack: stacks/app\n    target: { devices: [${device}] }\n`,
    ),
    'stacks/app/compose.yaml': stack(0),
  });
  await repo.commit('change 0');
  const setup = await ferrydConfig(device, repo.url);
  await writeFleet('/', {
    [setup.configFile]: (await readFile(setup.configFile, 'utf8')).replace(
      'interval: 1s',
      `interval: ${POLL_SECONDS}s`,
    ),
  });
  const ferryd = new FerrydProcess(setup);
  const ferrydContainer = `${device}.app.app`;
  await waitForEnv(ferrydContainer, 'CHANGE=0');
  const ferryLatency: number[] = [];
  for (let n = 1; n <= CHANGES; n += 1) {
    await settle();
    await writeFleet(repo.workTree, { 'stacks/app/compose.yaml': stack(n) });
    const pushed = Date.now();
    await repo.commit(`change ${n}`);
    await waitForEnv(ferrydContainer, `CHANGE=${n}`);
    ferryLatency.push((Date.now() - pushed) / 1000);
  }

  // Idle: no-op polls.
  const pid = ferryd.child.pid!;
  const passesBefore = (await ferryd.status())?.passes ?? 0;
  const cpuBefore = await cpuSeconds(pid);
  await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
  const passes = ((await ferryd.status())?.passes ?? 0) - passesBefore;
  const cpuPerPoll = ((await cpuSeconds(pid)) - cpuBefore) / Math.max(passes, 1);
  const rss = await rssKiB(pid);
  await ferryd.stop();
  await cleanDevice(device);

  // Baseline: the cron-style compose loop, polling at the same interval.
  const clone = await mkdtemp(join(tmpdir(), 'bench-compose-'));
  await exec('git', ['clone', '--quiet', repo.url, clone]);
  const project = `benchcompose${process.pid}`;
  const compose = `docker-compose -p ${project} -f stacks/app/compose.yaml`;
  const loopScript = `cd ${clone}; while true; do git pull -q; ${compose} pull -q; ${compose} up -d >/dev/null 2>&1; [ -f .stop ] && { times; exit 0; }; sleep ${POLL_SECONDS}; done`;
  const loop = spawn('bash', ['-c', loopScript], { stdio: ['ignore', 'pipe', 'pipe'] });
  loop.stderr.on('data', (c: Buffer) => process.env.BENCH_DEBUG && process.stderr.write(c));
  let loopOutput = '';
  loop.stdout.on('data', (c: Buffer) => (loopOutput += c.toString()));
  const composeContainer = `${project}_app_1`;
  const baseline: number[] = [];
  await waitForEnv(composeContainer, `CHANGE=${CHANGES}`);
  for (let n = CHANGES + 1; n <= CHANGES * 2; n += 1) {
    await settle();
    await writeFleet(repo.workTree, { 'stacks/app/compose.yaml': stack(n) });
    const pushed = Date.now();
    await repo.commit(`change ${n}`);
    await waitForEnv(composeContainer, `CHANGE=${n}`);
    baseline.push((Date.now() - pushed) / 1000);
  }
  // Idle iterations of the loop: CPU of its children over the idle period.
  const idleStart = Date.now();
  await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
  await writeFleet('/', { [`${clone}/.stop`]: '' });
  await new Promise((r) => loop.once('exit', r));
  const idleIterations = Math.max(
    1,
    Math.floor((Date.now() - idleStart) / 1000 / (POLL_SECONDS + 1)),
  );
  const times = loopOutput
    .trim()
    .split('\n')
    .at(-1)
    ?.match(/(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/);
  const childCpu = times
    ? Number(times[1]) * 60 + Number(times[2]) + Number(times[3]) * 60 + Number(times[4])
    : NaN;
  await exec('docker-compose', [
    '-p',
    project,
    '-f',
    `${clone}/stacks/app/compose.yaml`,
    'down',
  ]).catch(() => undefined);
  await repo.remove();

  const iterationsTotal = CHANGES + 1 + idleIterations;
  console.log(
    `push-to-running latency, ${CHANGES} changes each, poll every ${POLL_SECONDS}s (seconds):`,
  );
  console.log(
    `  ferryd                         median ${median(ferryLatency).toFixed(2)}  all ${ferryLatency.map((v) => v.toFixed(2)).join(' ')}`,
  );
  console.log(
    `  git pull + compose pull + up   median ${median(baseline).toFixed(2)}  all ${baseline.map((v) => v.toFixed(2)).join(' ')}`,
  );
  console.log(
    `  ratio ferryd / baseline        ${(median(ferryLatency) / median(baseline)).toFixed(2)}`,
  );
  console.log(`idle, ${IDLE_SECONDS}s of no-op polls:`);
  console.log(`  ferryd RSS                     ${(rss / 1024).toFixed(1)} MiB`);
  console.log(
    `  ferryd CPU per no-op poll      ${(cpuPerPoll * 1000).toFixed(1)} ms (${passes} polls)`,
  );
  console.log(
    `  baseline CPU per iteration     ${((childCpu / iterationsTotal) * 1000).toFixed(1)} ms (about ${iterationsTotal} iterations, whole run)`,
  );
}

await main();
