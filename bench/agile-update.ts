// Bytes and time for one update of an AGILE-like stack (three services sharing a base and a
// runtime layer; the new version changes one service's application layer): ferryd against
// `docker pull` and `docker-compose pull`, each starting from the old version installed its own
// way. Then a flaky link (the connection drops every 1 MiB) on a 50 MB layer: ferryd against
// `docker pull`. All traffic goes through a counting proxy on loopback. Run: `npm run bench:transfer`.
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  cleanDevice,
  ferrydConfig,
  ferrydOnce,
  fleetYaml,
  uniqueDevice,
  writeFleet,
} from '../test/helpers/ferryd-harness.js';
import { createFleetRepo } from '../test/helpers/fleet-repo.js';
import { docker } from '../test/helpers/images.js';
import { RegistryProxy } from '../test/helpers/registry-proxy.js';
import { repoRoot } from '../test/helpers/run-cli.js';
import {
  incompressible,
  pushSyntheticImage,
  type PushedImage,
} from '../test/helpers/synthetic-images.js';
import { testEnv } from '../test/helpers/test-env.js';

const exec = promisify(execFile);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const MiB = 1024 * 1024;
const SERVICES = ['bus', 'core', 'flow'] as const;

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(2)} MiB`;

/** Removes the bench images (and what only they use) so each tool starts from the same place. */
async function forget(images: readonly PushedImage[]): Promise<void> {
  for (const image of images)
    await docker
      .getImage(image.configDigest)
      .remove({ force: true })
      .catch(() => undefined);
}

async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await work();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, value };
}

type Stack = PushedImage[];

/**
 * v1; v2 changes one service's application layer; v3 is v2 rebuilt by another builder: every
 * layer's content is the same but compressed differently, and the config has a new `created`.
 */
interface Versions {
  readonly v1: Stack;
  readonly v2: Stack;
  readonly v3: Stack;
}

async function stackVersions(): Promise<Versions> {
  const runtime = { files: { 'opt/runtime/lib.bin': incompressible(8 * MiB) } };
  const app = (name: string) => ({ files: { [`app/${name}.bin`]: incompressible(2 * MiB) } });
  const specs1 = SERVICES.map((name) => [runtime, app(name)]);
  const specs2 = SERVICES.map((name, i) => (name === 'core' ? [runtime, app(name)] : specs1[i]!));
  const push = (specs: typeof specs1, version: string, gzipLevel?: number, created?: string) =>
    Promise.all(
      SERVICES.map((name, i) =>
        pushSyntheticImage({
          repository: `ferry-bench/agile-${name}`,
          tag: `${version}-${process.pid}`,
          layers: specs[i]!,
          ...(gzipLevel ? { gzipLevel } : {}),
          ...(created ? { created } : {}),
        }),
      ),
    );
  return {
    v1: await push(specs1, 'v1'),
    v2: await push(specs2, 'v2'),
    v3: await push(specs2, 'v3', 1, new Date().toISOString()),
  };
}

async function ferrydUpdate(
  proxyHost: string,
  v1: PushedImage[],
  v2: PushedImage[],
  proxy: RegistryProxy,
) {
  const device = uniqueDevice('agile');
  const repo = await createFleetRepo('bench-agile', `${repoRoot}/fleet-examples/bms/apps`);
  const setup = await ferrydConfig(device, repo.url);
  const deploy = async (images: PushedImage[]) => {
    const services = images
      .map(
        (img, i) =>
          `  ${SERVICES[i]}:\n    image: ${img.reference.replace(testEnv.registry, proxyHost)}\n`,
      )
      .join('');
    await writeFleet(repo.workTree, {
      'fleet.yaml': fleetYaml(
        `  - name: agile\n    stack: stacks/agile\n    target: { devices: [${device}] }\n`,
      ),
      'stacks/agile/compose.yaml': `services:\n${services}`,
    });
    await repo.commit('deploy');
    return ferrydOnce(setup);
  };
  await deploy(v1);
  proxy.blobBytes = 0;
  const { seconds, value } = await timed(() => deploy(v2));
  const bytes = proxy.blobBytes;
  if (value.result.code !== 0) throw new Error(`ferryd failed: ${value.result.stdout}`);
  await cleanDevice(device);
  await repo.remove();
  proxy.blobBytes = bytes;
  return { seconds, bytes, fetchSeconds: (value.report.timings?.fetchMs ?? NaN) / 1000 };
}

async function dockerPull(references: string[]): Promise<void> {
  for (const reference of references)
    await exec('docker', ['pull', '-q', reference], { timeout: 600_000 });
}

async function composePull(dir: string, images: string[]): Promise<void> {
  const services = images.map((image, i) => `  ${SERVICES[i]}:\n    image: ${image}\n`).join('');
  await writeFile(join(dir, 'docker-compose.yml'), `version: "3.7"\nservices:\n${services}`);
  await exec('docker-compose', ['-f', join(dir, 'docker-compose.yml'), 'pull', '-q'], {
    timeout: 600_000,
  });
}

async function agileUpdate(): Promise<void> {
  const proxy = new RegistryProxy();
  const host = await proxy.start();
  const viaProxy = (images: Stack) =>
    images.map((i) => i.reference.replace(testEnv.registry, host));
  const composeDir = await mkdtemp(join(tmpdir(), 'bench-agile-'));
  const tools: Record<string, (from: Stack, to: Stack) => Promise<number>> = {
    ferryd: async (from, to) => (await ferrydUpdate(host, from, to, proxy)).fetchSeconds,
    'docker pull': async (from, to) => {
      await dockerPull(viaProxy(from));
      proxy.blobBytes = 0;
      return (await timed(() => dockerPull(viaProxy(to)))).seconds;
    },
    'docker-compose pull': async (from, to) => {
      await composePull(composeDir, viaProxy(from));
      proxy.blobBytes = 0;
      return (await timed(() => composePull(composeDir, viaProxy(to)))).seconds;
    },
  };
  const scenarios = [
    [
      "v1 -> v2: one service's 2.00 MiB application layer changed",
      (v: Versions) => [v.v1, v.v2] as const,
    ],
    [
      'v2 -> v3: the same content rebuilt by another builder (recompressed, new config)',
      (v: Versions) => [v.v2, v.v3] as const,
    ],
  ] as const;
  for (const [title, pick] of scenarios) {
    console.log(
      `AGILE-like update, 3 services sharing a base and an ${mib(8 * MiB)} runtime layer; ${title} (${RUNS} runs, medians)`,
    );
    console.log('  tool                  bytes downloaded    time');
    for (const [name, update] of Object.entries(tools)) {
      const seconds: number[] = [];
      const bytes: number[] = [];
      for (let run = 0; run < RUNS; run += 1) {
        // Fresh content for every run and tool: no engine has seen these layers before.
        const versions = await stackVersions();
        const [from, to] = pick(versions);
        seconds.push(await update(from, to));
        bytes.push(proxy.blobBytes);
        await forget([...versions.v1, ...versions.v2, ...versions.v3]);
      }
      console.log(
        `  ${name.padEnd(20)}  ${mib(median(bytes)).padStart(12)}    ${median(seconds).toFixed(2)} s`,
      );
    }
  }
  console.log(
    '  (ferryd time is its fetch stage: resolve, download, verify, import; docker pull and',
  );
  console.log(
    '   docker-compose pull only download; each tool starts from the old version installed its own way)',
  );
  await proxy.stop();
}

async function flakyLink(): Promise<void> {
  const proxy = new RegistryProxy({ resetEvery: MiB });
  const host = await proxy.start();
  const image = await pushSyntheticImage({
    repository: 'ferry-bench/big',
    tag: `v-${process.pid}`,
    layers: [{ files: { 'data/big.bin': incompressible(50 * MiB) } }],
  });
  const layer = image.layers.at(-1)!.size;

  await forget([image]);
  const device = uniqueDevice('flaky');
  const repo = await createFleetRepo('bench-flaky', `${repoRoot}/fleet-examples/bms/apps`);
  await writeFleet(repo.workTree, {
    'fleet.yaml': fleetYaml(
      `  - name: big\n    stack: stacks/big\n    target: { devices: [${device}] }\n`,
    ),
    'stacks/big/compose.yaml': `services:\n  big:\n    image: ${image.reference.replace(testEnv.registry, host)}\n`,
  });
  await repo.commit('big');
  const setup = await ferrydConfig(device, repo.url);
  proxy.blobBytes = 0;
  const f = await timed(() => ferrydOnce(setup));
  const ferryBytes = proxy.blobBytes;
  const ferryOk = f.value.result.code === 0;
  await cleanDevice(device);
  await repo.remove();

  await forget([image]);
  proxy.blobBytes = 0;
  const p = await timed(() =>
    dockerPull([image.reference.replace(testEnv.registry, host)]).then(
      () => true,
      (e: Error) => e.message.split('\n')[0],
    ),
  );
  const pullBytes = proxy.blobBytes;
  await forget([image]);
  await proxy.stop();
  console.log(`flaky link: a ${mib(layer)} layer, the connection drops every 1 MiB`);
  console.log(
    `  ferryd       ${ferryOk ? 'completed' : 'FAILED'}   ${mib(ferryBytes)} (${(ferryBytes / layer).toFixed(2)}x the layer)   ${f.seconds.toFixed(1)} s`,
  );
  console.log(
    `  docker pull  ${p.value === true ? 'completed' : `FAILED (${p.value})`}   ${mib(pullBytes)} (${(pullBytes / layer).toFixed(2)}x)   ${p.seconds.toFixed(1)} s`,
  );
}

await agileUpdate();
if (!process.env.BENCH_SKIP_FLAKY) await flakyLink();
