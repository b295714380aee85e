// What a gateway downloads, and what a build costs, for the everyday updates of a realistic
// service (test/fixtures/telemetry-fleet: FROM a Node.js base in the registry, package files,
// a RUN that writes ~30 MiB of dependencies with a few bytes that differ every run, sources):
//   v1 install, v2 one line in src/, v3 a README outside the build context, v4 a file in the
//   context no COPY uses, v5 one dependency changed.
// Tools, each with a fresh fleet repository and a fresh device (a second engine, bench/device-engine.ts):
//   Ferry        `ferry build --push --commit` in a long-lived builder clone, then `ferryd once`
//   Ferry cold   the same from a fresh depth-1 clone with an empty engine cache and layer cache
//   docker warm  `docker build` (warm cache) && `docker push`, then `docker pull`
//   docker cold  `docker build --no-cache` from a fresh clone && `docker push`, then `docker pull`
// Device bytes are counted by a proxy in front of the registry (everything it serves).
// Run: `npm run bench:app-update` (BENCH_RUNS, default 3; BENCH_DEPS_MIB, default 30).
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BuildReport } from '../builder/src/build/build-fleet.js';
import { parseImageReference } from '../daemon/src/fetch/image-reference.js';
import type { ImageManifest } from '../daemon/src/fetch/media-types.js';
import { RegistryClient } from '../daemon/src/fetch/registry-client.js';
import { ferrydConfig, ferrydOnce, uniqueDevice } from '../test/helpers/ferryd-harness.js';
import { createFleetRepo, type FleetRepo } from '../test/helpers/fleet-repo.js';
import { docker, pushNodeBase } from '../test/helpers/images.js';
import { RegistryProxy } from '../test/helpers/registry-proxy.js';
import { repoRoot } from '../test/helpers/run-cli.js';
import { testEnv } from '../test/helpers/test-env.js';
import { DEVICE_SOCKET, deviceEngine, wipeDevice } from './device-engine.js';

const exec = promisify(execFile);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const DEPS_MIB = Number(process.env.BENCH_DEPS_MIB ?? 30);
const APP = 'apps/telemetry-api';
const MiB = 1024 * 1024;
const registry = new RegistryClient();

interface Version {
  readonly name: string;
  readonly what: string;
  change(workTree: string): Promise<void>;
}

async function edit(file: string, change: (text: string) => string): Promise<void> {
  await writeFile(file, change(await readFile(file, 'utf8')));
}

const VERSIONS: readonly Version[] = [
  { name: 'v1', what: 'install', change: async () => undefined },
  {
    name: 'v2',
    what: 'one line in src/',
    change: (w) => edit(join(w, APP, 'src/routes/health.js'), (t) => t.replace("'v1'", "'v2'")),
  },
  {
    name: 'v3',
    what: 'README outside the context',
    change: (w) => edit(join(w, 'README.md'), (t) => `${t}\nRunbook: docs/runbook.md\n`),
  },
  {
    name: 'v4',
    what: 'unused file in the context',
    change: (w) => edit(join(w, APP, 'test/server.test.js'), (t) => `${t}// v4\n`),
  },
  {
    name: 'v5',
    what: 'one dependency changed',
    change: (w) =>
      edit(join(w, APP, 'package-lock.json'), (t) => t.replace('"5.10.1"', '"5.10.2"')),
  },
];

const git = async (cwd: string, ...args: string[]) =>
  (await exec('git', args, { cwd, maxBuffer: 1 << 24 })).stdout.trim();

async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await work();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, value };
}

/** Image IDs on the main engine, so the bench removes only what it built. */
async function engineImages(): Promise<Set<string>> {
  return new Set((await docker.listImages({ all: true })).map((i) => i.Id));
}

/** `ferry build` with its peak RSS measured (bench/peak-rss.ts). */
async function ferryBuild(
  dir: string,
  args: string[],
): Promise<{ report: BuildReport; rss: number }> {
  const rssFile = join(await mkdtemp(join(tmpdir(), 'bench-rss-')), 'rss');
  const child = spawn(
    process.execPath,
    [
      '--import',
      `${repoRoot}dist/bench/peak-rss.js`,
      `${repoRoot}bin/ferry.js`,
      'build',
      dir,
      '--json',
      ...args,
    ],
    { env: { ...process.env, FERRY_BENCH_RSS_FILE: rssFile }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`ferry build failed (${code}): ${stderr}`);
  const rss = Number(await readFile(rssFile, 'utf8'));
  await rm(join(rssFile, '..'), { recursive: true, force: true });
  return { report: JSON.parse(stdout) as BuildReport, rss };
}

interface Sample {
  bytes: number;
  seconds: number;
  rss?: number;
  /** Ferry: compressed bytes of layers whose content is new in this version. */
  ideal?: number;
  largestLayer?: number;
}

interface Scenario {
  readonly repo: FleetRepo;
  readonly image: string;
  readonly proxy: RegistryProxy;
  readonly proxyHost: string;
  readonly scratch: string[];
  /** The device id ferryd runs as (devices/<id>.yaml targets it). */
  readonly device: string;
}

interface Tool {
  readonly name: string;
  /** Builds and pushes `version` of the operator's latest commit; returns the build's figures. */
  build(s: Scenario, version: Version): Promise<Omit<Sample, 'bytes'>>;
  /** The device takes `version`. */
  install(s: Scenario, version: Version): Promise<void>;
}

async function freshClone(s: Scenario, depth?: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-clone-'));
  s.scratch.push(dir);
  await git(
    tmpdir(),
    'clone',
    '--quiet',
    ...(depth ? ['--depth', String(depth)] : []),
    s.repo.url,
    dir,
  );
  return dir;
}

function ferryTool(cold: boolean): Tool {
  let builderClone: string | undefined;
  let setup: Awaited<ReturnType<typeof ferrydConfig>> | undefined;
  let previousDiffIds = new Set<string>();
  return {
    name: cold ? 'Ferry cold' : 'Ferry',
    async build(s) {
      let dir: string;
      const args = ['--push', '--commit'];
      if (cold) {
        dir = await freshClone(s, 1);
        const cache = await mkdtemp(join(tmpdir(), 'bench-cache-'));
        s.scratch.push(cache);
        args.push('--no-cache', '--cache-dir', cache);
      } else {
        builderClone ??= await freshClone(s);
        dir = builderClone;
        await git(dir, 'pull', '--quiet', '--ff-only', 'origin', 'main');
      }
      const { seconds, value } = await timed(() => ferryBuild(dir, args));
      await git(dir, 'push', '--quiet', 'origin', 'HEAD:main');
      await git(s.repo.workTree, 'pull', '--quiet', '--ff-only', 'origin', 'main');
      const built = value.report.images[0]!;
      const layers = built.platforms[0]!.layers;
      // The least any tool must send: the layers with new content, the manifest and the config.
      const ref = parseImageReference(s.image);
      const manifest = await registry.getManifest(ref, built.digest);
      const configSize = (JSON.parse(manifest.bytes.toString('utf8')) as ImageManifest).config.size;
      const ideal =
        layers.filter((l) => !previousDiffIds.has(l.diffId)).reduce((sum, l) => sum + l.size, 0) +
        (built.unchanged ? 0 : manifest.bytes.length + configSize);
      previousDiffIds = new Set(layers.map((l) => l.diffId));
      return {
        seconds,
        rss: value.rss,
        ideal,
        largestLayer: Math.max(...layers.map((l) => l.size)),
      };
    },
    async install(s) {
      if (!setup) {
        setup = await ferrydConfig(
          s.device,
          s.repo.url,
          `registry: { mirrors: { "${testEnv.registry}": ["http://${s.proxyHost}"] } }\n`,
        );
        // The device is the second engine.
        await edit(setup.configFile, (t) =>
          t.replace('engine: { ', `engine: { socket: ${DEVICE_SOCKET}, `),
        );
      }
      const pass = await ferrydOnce(setup);
      if (pass.result.code !== 0) throw new Error(`ferryd once failed: ${pass.result.stdout}`);
    },
  };
}

function dockerTool(cold: boolean): Tool {
  let builderClone: string | undefined;
  return {
    name: cold ? 'docker cold' : 'docker warm',
    async build(s, version) {
      let dir: string;
      if (cold) dir = await freshClone(s, 1);
      else {
        builderClone ??= await freshClone(s);
        dir = builderClone;
        await git(dir, 'pull', '--quiet', '--ff-only', 'origin', 'main');
      }
      const tag = `${s.image}:${version.name}`;
      const { seconds } = await timed(async () => {
        await exec('docker', [
          'build',
          ...(cold ? ['--no-cache'] : []),
          '-q',
          '--build-arg',
          `DEPS_MIB=${DEPS_MIB}`,
          '-t',
          tag,
          join(dir, APP),
        ]);
        await exec('docker', ['push', '-q', tag]);
      });
      return { seconds };
    },
    async install(s, version) {
      const device = `${s.proxyHost}/${s.image.slice(testEnv.registry.length + 1)}:${version.name}`;
      await exec('docker', ['-H', `unix://${DEVICE_SOCKET}`, 'pull', '-q', device], {
        timeout: 600_000,
      });
    },
  };
}

async function runTool(tool: Tool, proxy: RegistryProxy, proxyHost: string, run: number) {
  const repo = await createFleetRepo('bench-app', `${repoRoot}/test/fixtures/telemetry-fleet`);
  const image = `${testEnv.registry}/bench-app-${process.pid}-${run}/${tool.name.replace(' ', '-').toLowerCase()}`;
  const compose = join(repo.workTree, 'stacks/telemetry/compose.yaml');
  await edit(compose, (t) =>
    t
      .replace(`${testEnv.registry}/telemetry/api`, image)
      .replace('DEPS_MIB: "4"', `DEPS_MIB: "${DEPS_MIB}"`),
  );
  // Each tool and run gets build steps of its own, so no tool is warmed by another's build cache.
  await edit(join(repo.workTree, APP, 'Dockerfile'), (t) =>
    t.replace('FROM ${NODE_IMAGE}\n', `FROM \${NODE_IMAGE}\nLABEL bench.run="${image}"\n`),
  );
  const device = uniqueDevice('bench-app');
  await writeFile(
    join(repo.workTree, `devices/${device}.yaml`),
    'labels: { product: telemetry }\n',
  );
  const scenario: Scenario = { repo, image, proxy, proxyHost, scratch: [], device };
  await wipeDevice(await deviceEngine());
  const samples = new Map<string, Sample>();
  for (const version of VERSIONS) {
    await version.change(repo.workTree);
    await repo.commit(`${version.name}: ${version.what}`);
    const built = await tool.build(scenario, version);
    proxy.wireBytes = 0;
    await tool.install(scenario, version);
    samples.set(version.name, { ...built, bytes: proxy.wireBytes });
  }
  await repo.remove();
  for (const dir of scenario.scratch) await rm(dir, { recursive: true, force: true });
  return samples;
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const size = (bytes: number) =>
  bytes >= MiB ? `${(bytes / MiB).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;

async function main(): Promise<void> {
  await pushNodeBase();
  await deviceEngine();
  const proxy = new RegistryProxy();
  const proxyHost = await proxy.start();
  const before = await engineImages();
  const tools = [ferryTool(false), ferryTool(true), dockerTool(false), dockerTool(true)];
  const all = new Map<string, Map<string, Sample>[]>(tools.map((t) => [t.name, []]));
  try {
    for (let run = 0; run < RUNS; run += 1)
      for (const tool of tools)
        all.get(tool.name)!.push(await runTool(tool, proxy, proxyHost, run));
  } finally {
    await proxy.stop();
    for (const id of await engineImages())
      if (!before.has(id))
        await docker
          .getImage(id)
          .remove({ force: true })
          .catch(() => undefined);
  }
  const pick = (tool: string, version: string, field: keyof Sample) =>
    median(all.get(tool)!.map((runs) => runs.get(version)![field] ?? 0));

  console.log(
    `app update: Node.js service FROM a Node base, ${DEPS_MIB} MiB of dependencies from RUN, ${RUNS} runs, medians`,
  );
  console.log('bytes a device downloads (everything the registry served it):');
  console.log(
    `  ${'change'.padEnd(32)}${'ideal'.padStart(11)}${tools.map((t) => t.name.padStart(13)).join('')}`,
  );
  for (const v of VERSIONS)
    console.log(
      `  ${`${v.name} ${v.what}`.padEnd(32)}${size(pick('Ferry', v.name, 'ideal')).padStart(11)}` +
        tools.map((t) => size(pick(t.name, v.name, 'bytes')).padStart(13)).join(''),
    );
  console.log('build + push time (s):');
  for (const v of VERSIONS)
    console.log(
      `  ${`${v.name} ${v.what}`.padEnd(43)}` +
        tools.map((t) => pick(t.name, v.name, 'seconds').toFixed(2).padStart(13)).join(''),
    );
  const v2 = pick('Ferry', 'v2', 'seconds') / pick('docker warm', 'v2', 'seconds');
  console.log(`  ratio Ferry / docker warm on v2: ${v2.toFixed(2)} (goal <= 1.5)`);
  const v2bytes = pick('Ferry', 'v2', 'bytes') / pick('Ferry', 'v2', 'ideal');
  console.log(
    `  Ferry v2 bytes / ideal: ${v2bytes.toFixed(2)} (goal <= 1.2; ideal = new layers + manifest + config)`,
  );
  const rss = Math.max(...VERSIONS.map((v) => pick('Ferry', v.name, 'rss')));
  const coldRss = Math.max(...VERSIONS.map((v) => pick('Ferry cold', v.name, 'rss')));
  const largest = Math.max(...VERSIONS.map((v) => pick('Ferry', v.name, 'largestLayer')));
  console.log(
    `builder peak RSS: Ferry ${size(rss)}, Ferry cold ${size(coldRss)}; largest layer ${size(largest)} compressed; ` +
      `goal <= 2 x largest layer + 150 MiB`,
  );
}

await main();
