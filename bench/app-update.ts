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
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { uniqueDevice } from '../test/helpers/ferryd-harness.js';
import { createFleetRepo } from '../test/helpers/fleet-repo.js';
import { pushNodeBase } from '../test/helpers/images.js';
import { RegistryProxy } from '../test/helpers/registry-proxy.js';
import { repoRoot } from '../test/helpers/run-cli.js';
import { testEnv } from '../test/helpers/test-env.js';
import {
  APP,
  DEPS_MIB,
  dockerTool,
  edit,
  ferryStartup,
  ferryTool,
  type Sample,
  type Scenario,
  type Tool,
  type Version,
} from './app-update-tools.js';
import { deviceEngine, wipeDevice } from './device-engine.js';
import { trackEngineImages } from './engine-images.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const MiB = 1024 * 1024;

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
  const images = await trackEngineImages();
  // Tools keep state for one run (their builder clone, their device): made afresh per run.
  const makeTools = () => [
    ferryTool('cli'),
    ferryTool('service'),
    ferryTool('cold'),
    dockerTool(false),
    dockerTool(true),
  ];
  const tools = makeTools();
  const all = new Map<string, Map<string, Sample>[]>(tools.map((t) => [t.name, []]));
  try {
    for (let run = 0; run < RUNS; run += 1)
      for (const tool of makeTools())
        all.get(tool.name)!.push(await runTool(tool, proxy, proxyHost, run));
  } finally {
    await proxy.stop();
    await images.removeNew();
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
  const startups: number[] = [];
  for (let i = 0; i < 3; i += 1) startups.push(await ferryStartup());
  const startup = median(startups);
  console.log(
    `  of which Node.js start-up of the ferry CLI (ferry --version): ${startup.toFixed(2)}`,
  );
  const v2 = pick('Ferry', 'v2', 'seconds') / pick('docker warm', 'v2', 'seconds');
  const v2svc = pick('Ferry svc', 'v2', 'seconds') / pick('docker warm', 'v2', 'seconds');
  console.log(
    `  ratio to docker warm on v2: ferry build ${v2.toFixed(2)}, ferry builder ${v2svc.toFixed(2)} (goal <= 1.5)`,
  );
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
