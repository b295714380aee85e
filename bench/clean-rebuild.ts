// Bytes a gateway downloads after a clean-cache rebuild of an unchanged application: Ferry's
// builder (`ferry build --no-cache` from a fresh clone, then ferryd) against a plain
// `docker build --no-cache && docker push` (then `docker-compose pull`). The AGILE example stack
// (four services FROM a shared runtime), each app given a 1 MiB asset so layers have weight.
// The device is a second engine (bench/device-engine.ts), so it holds only what it downloaded;
// device traffic is counted by a proxy on loopback. The bench removes from the main engine only
// the images it built. Run: `npm run bench:rebuild`.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ferrydConfig, ferrydOnce, uniqueDevice } from '../test/helpers/ferryd-harness.js';
import { createFleetRepo, type FleetRepo } from '../test/helpers/fleet-repo.js';
import { buildImage, pushImage } from '../test/helpers/images.js';
import { RegistryProxy } from '../test/helpers/registry-proxy.js';
import { repoRoot, runCli } from '../test/helpers/run-cli.js';
import { testEnv } from '../test/helpers/test-env.js';
import { DEVICE_SOCKET, deviceEngine, wipeDevice } from './device-engine.js';
import { trackEngineImages } from './engine-images.js';

const exec = promisify(execFile);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SERVICES = ['message-bus', 'core', 'ble-adapter', 'flow-ui'] as const;
const RUNTIME = `${testEnv.registry}/agile/runtime`;
const MiB = 1024 * 1024;

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(2)} MiB`;

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function freshClone(repo: FleetRepo): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-clone-'));
  await exec('git', ['clone', '--quiet', repo.url, dir]);
  return dir;
}

/** The fleet repository: the AGILE example plus a 1 MiB asset per app and one device. */
async function fleetRepo(device: string): Promise<FleetRepo> {
  const repo = await createFleetRepo('bench-rebuild', `${repoRoot}/fleet-examples/agile-gateway`);
  for (const app of SERVICES)
    await writeFile(join(repo.workTree, 'apps', app, 'app/assets.bin'), randomBytes(MiB));
  await writeFile(
    join(repo.workTree, 'devices', `${device}.yaml`),
    'labels: { product: agile }\nvars: { GATEWAY_NAME: bench, FLOW_UI_PORT: "18800" }\n',
  );
  await repo.commit('agile fleet with assets');
  return repo;
}

async function ferryRun(proxy: RegistryProxy, proxyHost: string) {
  const device = uniqueDevice('rebuild');
  const repo = await fleetRepo(device);
  const build = async () => {
    const clone = await freshClone(repo);
    const seconds = await timed(async () => {
      const result = await runCli(
        'ferry',
        ['build', clone, '--push', '--commit', '--no-cache', '--json'],
        { timeoutMs: 600_000 },
      );
      if (result.code !== 0) throw new Error(`ferry build failed: ${result.stderr}`);
      await exec('git', ['push', '--quiet', 'origin', 'main'], { cwd: clone });
    });
    const commits = (
      await exec('git', ['rev-list', '--count', 'HEAD'], { cwd: clone })
    ).stdout.trim();
    await rm(clone, { recursive: true, force: true });
    return { seconds, commits };
  };
  await wipeDevice(await deviceEngine());
  const setup = await ferrydConfig(
    device,
    repo.url,
    `registry: { mirrors: { "${testEnv.registry}": ["http://${proxyHost}"] } }\n`,
    { socket: DEVICE_SOCKET },
  );
  const first = await build();
  proxy.blobBytes = 0;
  const install = await ferrydOnce(setup);
  const installBytes = proxy.blobBytes;
  if (install.result.code !== 0) throw new Error(`ferryd install failed: ${install.result.stdout}`);
  const rebuild = await build();
  const pinCommits = Number(rebuild.commits) - Number(first.commits);
  proxy.blobBytes = 0;
  const update = await ferrydOnce(setup);
  const bytes = proxy.blobBytes;
  if (update.result.code !== 0) throw new Error(`ferryd update failed: ${update.result.stdout}`);
  await repo.remove();
  return {
    bytes,
    installBytes,
    pinCommits,
    buildSeconds: rebuild.seconds,
    reported: update.report.bytesDownloaded,
  };
}

async function plainRun(proxy: RegistryProxy, proxyHost: string, composeDir: string) {
  const device = uniqueDevice('plain');
  const repo = await fleetRepo(device);
  const tag = `plain-${process.pid}`;
  const build = async () => {
    const clone = await freshClone(repo);
    const seconds = await timed(async () => {
      for (const app of SERVICES) {
        const image = `${testEnv.registry}/agile-plain/${app}:${tag}`;
        await exec('docker', [
          'build',
          '--no-cache',
          '-q',
          '--build-arg',
          `RUNTIME=${RUNTIME}`,
          '-t',
          image,
          join(clone, 'apps', app),
        ]);
        await exec('docker', ['push', '-q', image]);
      }
    });
    await rm(clone, { recursive: true, force: true });
    return seconds;
  };
  const compose = join(composeDir, 'docker-compose.yml');
  await writeFile(
    compose,
    `version: "3.7"\nservices:\n${SERVICES.map((s) => `  ${s}:\n    image: ${proxyHost}/agile-plain/${s}:${tag}\n`).join('')}`,
  );
  const pull = () =>
    exec('docker-compose', ['-f', compose, 'pull', '-q'], {
      timeout: 600_000,
      env: { ...process.env, DOCKER_HOST: `unix://${DEVICE_SOCKET}` },
    });
  await wipeDevice(await deviceEngine());
  await build();
  proxy.blobBytes = 0;
  await pull();
  const installBytes = proxy.blobBytes;
  const buildSeconds = await build();
  proxy.blobBytes = 0;
  await pull();
  const bytes = proxy.blobBytes;
  await repo.remove();
  return { bytes, installBytes, buildSeconds };
}

async function main(): Promise<void> {
  const images = await trackEngineImages();
  // The shared runtime every AGILE service builds FROM, as the fleet's operator would publish it.
  await buildImage(join(repoRoot, 'fleet-examples/agile-gateway/apps/runtime'), RUNTIME, {
    BASE: testEnv.baseImage,
  });
  await pushImage(RUNTIME);
  const proxy = new RegistryProxy();
  const proxyHost = await proxy.start();
  const composeDir = await mkdtemp(join(tmpdir(), 'bench-rebuild-'));
  const FERRY = 'ferry build + ferryd';
  const PLAIN = 'docker build && docker push + docker-compose pull';
  const rows: Record<string, { bytes: number[]; install: number[]; seconds: number[] }> = {
    [FERRY]: { bytes: [], install: [], seconds: [] },
    [PLAIN]: { bytes: [], install: [], seconds: [] },
  };
  const record = (
    name: string,
    r: { bytes: number; installBytes: number; buildSeconds: number },
  ) => {
    rows[name]!.bytes.push(r.bytes);
    rows[name]!.install.push(r.installBytes);
    rows[name]!.seconds.push(r.buildSeconds);
  };
  const pinCommits: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const ferry = await ferryRun(proxy, proxyHost);
    record(FERRY, ferry);
    pinCommits.push(ferry.pinCommits);
    if (ferry.reported !== ferry.bytes)
      console.log(
        `  (run ${run + 1}: ferryd reported ${ferry.reported} bytes, the proxy counted ${ferry.bytes})`,
      );
    record(PLAIN, await plainRun(proxy, proxyHost, composeDir));
  }
  console.log(
    `clean-cache rebuild of an unchanged AGILE stack (4 services FROM a shared runtime, 1 MiB asset each), ${RUNS} runs, medians`,
  );
  console.log(`  ${'tool'.padEnd(50)}  first install   after rebuild   rebuild + push`);
  for (const [name, row] of Object.entries(rows))
    console.log(
      `  ${name.padEnd(50)}  ${mib(median(row.install)).padStart(13)}  ${mib(median(row.bytes)).padStart(14)}   ${median(row.seconds).toFixed(2)} s`,
    );
  const ferryBytes = median(rows[FERRY]!.bytes);
  const plainBytes = median(rows[PLAIN]!.bytes);
  console.log(
    `  ratio ferry / plain bytes after rebuild: ${plainBytes > 0 ? (ferryBytes / plainBytes).toFixed(3) : 'n/a'}`,
  );
  console.log(
    `  pin commits made by Ferry's rebuilds: ${pinCommits.join(', ')} (0 = identical digests)`,
  );
  await proxy.stop();
  await rm(composeDir, { recursive: true, force: true });
  await images.removeNew();
}

await main();
