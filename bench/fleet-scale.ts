// What one gateway's pass costs as the fleet grows: fleets of 100, 1,000 and 10,000 device files
// in a repository on the test git server, and one ferryd (in this process, so CPU is counted
// without Node's start-up) polling it. Measured per fleet size, medians of BENCH_RUNS passes:
//   unchanged   the branch did not move (one ref advertisement; nothing read or parsed)
//   changed     a commit that edits another device's file (fetch, read this device's files)
//   baseline    loading the whole fleet as `ferry validate` does, and as every pass did before
//               (measured once per size)
// Run: `npm run bench:fleet-scale`.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { SchemaValidator } from '#kernel/validate.js';
import { createPassContext } from '../daemon/src/agent/agent-context.js';
import { reconcilePass, type PassContext } from '../daemon/src/agent/reconcile-pass.js';
import { loadDaemonConfig } from '../daemon/src/config/daemon-config.js';
import { loadFleet } from '#kernel/fleet/load-fleet.js';
import {
  cleanDevice,
  ferrydConfig,
  fleetYaml,
  pushWebAppImage,
  uniqueDevice,
  writeFleet,
} from '../test/helpers/ferryd-harness.js';
import { createFleetRepo } from '../test/helpers/fleet-repo.js';
import { repoRoot } from '../test/helpers/run-cli.js';

const SIZES = (process.env.BENCH_SIZES ?? '100,1000,10000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const validator = new SchemaValidator();

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** CPU milliseconds (user + system) and wall milliseconds of `work`. */
async function measured(work: () => Promise<unknown>): Promise<{ cpu: number; wall: number }> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await work();
  const used = process.cpuUsage(cpu);
  return {
    cpu: (used.user + used.system) / 1000,
    wall: Number(process.hrtime.bigint() - start) / 1e6,
  };
}

async function scale(devices: number, image: string) {
  const device = uniqueDevice('scale');
  const repo = await createFleetRepo('scale', `${repoRoot}/fleet-examples/bms/apps`);
  const files: Record<string, string> = {
    'fleet.yaml': fleetYaml(
      `  - name: svc\n    stack: stacks/svc\n    target: { labels: { role: gateway } }\n`,
    ),
    'stacks/svc/compose.yaml': `services:\n  app:\n    image: ${image}\n    environment: { SITE: "\${SITE}" }\n`,
  };
  for (let i = 0; i < devices; i += 1)
    files[`devices/gw-${i}.yaml`] = `labels: { role: gateway }\nvars: { SITE: site-${i % 40} }\n`;
  files[`devices/${device}.yaml`] = 'labels: { role: gateway }\nvars: { SITE: bench }\n';
  await writeFleet(repo.workTree, files);
  await repo.commit(`${devices} devices`);

  const setup = await ferrydConfig(device, repo.url);
  const config = await loadDaemonConfig(setup.configFile, validator);
  const logger = pino({ level: 'silent' });
  const resolvedCache = {};
  const context = (): PassContext => ({
    ...createPassContext(config, validator, logger),
    resolvedCache,
  });
  const first = await reconcilePass(context());
  if (!first.converged) throw new Error(`first pass failed: ${first.errors.join('; ')}`);

  const unchanged: number[] = [];
  const changed: number[] = [];
  const baseline: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    unchanged.push((await measured(() => reconcilePass(context()))).cpu);
    await writeFile(
      join(repo.workTree, 'devices/gw-0.yaml'),
      `labels: { role: gateway }\nvars: { SITE: moved-${run} }\n`,
    );
    await repo.commit(`another device moves (${run})`);
    let revision = '';
    changed.push(
      (await measured(async () => (revision = (await reconcilePass(context())).revision ?? '')))
        .cpu,
    );
    // What every pass did before: read and validate the whole fleet from the same git objects
    // (once per size: at 10,000 devices it takes minutes).
    if (run === 0) {
      const source = context().source;
      baseline.push(
        (await measured(async () => loadFleet(await source.reader(revision), validator))).cpu,
      );
    }
  }
  await cleanDevice(device);
  await rm(join(setup.stateDir, '..'), { recursive: true, force: true });
  await repo.remove();
  return { unchanged: median(unchanged), changed: median(changed), baseline: median(baseline) };
}

async function main(): Promise<void> {
  const image = await pushWebAppImage();
  const rows = [];
  for (const size of SIZES) rows.push({ size, ...(await scale(size, image)) });
  console.log(`fleet scale: CPU ms of one gateway's pass, medians of ${RUNS} runs`);
  console.log(
    `  ${'devices'.padStart(8)}${'unchanged'.padStart(12)}${'changed'.padStart(12)}${'whole-fleet load'.padStart(20)}`,
  );
  for (const row of rows)
    console.log(
      `  ${String(row.size).padStart(8)}${row.unchanged.toFixed(1).padStart(12)}${row.changed.toFixed(1).padStart(12)}${row.baseline.toFixed(1).padStart(20)}`,
    );
  console.log('  goal: unchanged < 50 ms at any size; changed grows with what this device reads');
}

await main();
