// Digest = content, on a service shaped like the ones people publish (test/fixtures/telemetry-fleet:
// a Node.js base from the registry, package files, a dependency install in RUN, sources): a
// change shows up as exactly the layers it touches, and nothing else about a commit (a file no
// COPY uses, a file outside the context, a merge, clone depth, a cold builder) changes a digest,
// makes a pin commit, costs a device a byte or recreates a container.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { BuildReport, BuiltImage } from '../../builder/src/pipeline/build-fleet.js';
import {
  cleanDevice,
  deviceContainers,
  ferrydConfig,
  ferrydOnce,
  uniqueDevice,
  type FerrydSetup,
} from '../helpers/ferryd-harness.js';
import { createFleetRepo, type FleetRepo } from '../helpers/fleet-repo.js';
import { docker, pushNodeBase } from '../helpers/images.js';
import { repoRoot, runCli } from '../helpers/run-cli.js';
import { testEnv } from '../helpers/test-env.js';

const exec = promisify(execFile);
const git = async (cwd: string, ...args: string[]) =>
  (await exec('git', args, { cwd })).stdout.trim();

type JsonReport = BuildReport & { pinCommit: string | null };

async function build(dir: string, ...args: string[]): Promise<JsonReport> {
  const result = await runCli('ferry', ['build', dir, '--json', ...args], { timeoutMs: 300_000 });
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as JsonReport;
}

const api = (report: JsonReport): BuiltImage => report.images[0]!;
const layersOf = (report: JsonReport) => api(report).platforms[0]!.layers;
const APP = 'apps/telemetry-api';

let repo: FleetRepo;
let image: string;
let device: string;
let setup: FerrydSetup;
const scratch: string[] = [];

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

/** Commits what is in the work tree, builds with --push --commit and pushes the pin commit. */
async function commitAndBuild(message: string): Promise<JsonReport> {
  await repo.commit(message);
  const report = await build(repo.workTree, '--push', '--commit');
  await git(repo.workTree, 'push', '--quiet', 'origin', 'main');
  return report;
}

async function edit(path: string, change: (text: string) => string): Promise<void> {
  const file = join(repo.workTree, path);
  await writeFile(file, change(await readFile(file, 'utf8')));
}

async function apiContainer() {
  const containers = [...(await deviceContainers(device)).values()];
  assert.equal(containers.length, 1, containers.map((c) => c.name).join(', '));
  return containers[0]!;
}

async function healthOf(containerId: string): Promise<string> {
  const run = await docker.getContainer(containerId).exec({
    Cmd: ['wget', '-q', '-O', '-', 'http://127.0.0.1:8080/healthz'],
    AttachStdout: true,
  });
  const stream = await run.start({});
  let out = '';
  stream.on('data', (chunk: Buffer) => (out += chunk.toString('latin1')));
  await new Promise((resolve) => stream.on('end', resolve));
  return out;
}

before(async () => {
  await pushNodeBase();
  repo = await createFleetRepo('telemetry', `${repoRoot}/test/fixtures/telemetry-fleet`);
  image = `${testEnv.registry}/telemetry-${process.pid}/api`;
  await edit('stacks/telemetry/compose.yaml', (t) =>
    t.replace(`${testEnv.registry}/telemetry/api`, image),
  );
  device = uniqueDevice('telemetry');
  await writeFile(
    join(repo.workTree, 'devices', `${device}.yaml`),
    'labels: { product: telemetry }\nvars: { SITE: graz }\n',
  );
  const first = await commitAndBuild('telemetry fleet');
  assert.ok(first.pinCommit, 'the first build pins the image');
  // The builder runs on the same engine, and earlier runs of this test leave the same layers
  // there (same content, same digests): the device counts only what its own ferryd installed.
  setup = await ferrydConfig(device, repo.url, '', { isolateLayers: true });
  const install = await ferrydOnce(setup);
  assert.equal(install.result.code, 0, install.result.stdout + install.result.stderr);
});

after(async () => {
  if (device) await cleanDevice(device);
  await repo?.remove();
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
});

describe('ferry build: a digest depends on content only', () => {
  it('ships only the source layer when one line of src/ changes', async () => {
    const before = await apiContainer();
    assert.match(await healthOf(before.id), /"version":"v1"/);
    await edit(`${APP}/src/routes/health.js`, (t) => t.replace("'v1'", "'v2'"));
    const report = await commitAndBuild('health: v2');

    const layers = layersOf(report);
    assert.equal(layers.length, 6, 'base, WORKDIR, COPY package files, COPY script, RUN, COPY src');
    assert.deepEqual(
      layers.map((l) => l.changed),
      [false, false, false, false, false, true],
    );
    assert.match(layers[5]!.step, /^COPY dir:[0-9a-f]{64} in \.\/src\//);
    assert.match(layers[4]!.step, /^RUN node scripts\/install-deps\.js/);
    assert.ok(layers[0]!.fromBase);

    const update = await ferrydOnce(setup);
    assert.equal(update.result.code, 0, update.result.stdout);
    assert.equal(update.report.bytesDownloaded, layers[5]!.size);
    assert.deepEqual(update.report.layers, { downloaded: 1, reused: 5 });
    const after = await apiContainer();
    assert.notEqual(after.id, before.id);
    assert.match(await healthOf(after.id), /"version":"v2"/);
  });

  it('makes no pin, no download and no recreate for a file no COPY uses, a file outside the context, or a merge', async () => {
    const pinned = api(await build(repo.workTree)).digest;
    const running = await apiContainer();
    const head = await git(repo.workTree, 'rev-parse', 'HEAD');

    await edit(`${APP}/test/server.test.js`, (t) => `${t}// covers the health route\n`);
    const unused = await commitAndBuild('tests: note');
    await edit('README.md', (t) => `${t}\nSee docs/ for the runbook.\n`);
    const outside = await commitAndBuild('readme: runbook');
    await git(repo.workTree, 'checkout', '--quiet', '-b', 'feature/docs');
    await edit('README.md', (t) => `${t}\nOn-call: the platform team.\n`);
    await git(repo.workTree, 'commit', '--quiet', '-am', 'readme: on-call');
    await git(repo.workTree, 'checkout', '--quiet', 'main');
    await git(
      repo.workTree,
      'merge',
      '--quiet',
      '--no-ff',
      '-m',
      'Merge feature/docs',
      'feature/docs',
    );
    const merged = await build(repo.workTree, '--push', '--commit');
    await git(repo.workTree, 'push', '--quiet', 'origin', 'main');

    for (const report of [unused, outside, merged]) {
      assert.equal(api(report).digest, pinned);
      assert.ok(api(report).unchanged);
      assert.equal(report.pinCommit, null);
    }
    assert.equal(await git(repo.workTree, 'rev-list', '--count', `${head}..HEAD`), '4');
    assert.equal(await git(repo.workTree, 'log', '-1', '--format=%s'), 'Merge feature/docs');

    const pass = await ferrydOnce(setup);
    assert.equal(pass.result.code, 0, pass.result.stdout);
    assert.equal(pass.report.bytesDownloaded, 0);
    assert.equal((await apiContainer()).id, running.id);
  });

  it('builds the pinned digest from a depth-1 clone', async () => {
    const pinned = api(await build(repo.workTree)).previous;
    const clone = await tempDir('ferry-shallow-');
    await git(tmpdir(), 'clone', '--quiet', '--depth', '1', repo.url, clone);
    assert.equal(await git(clone, 'rev-list', '--count', 'HEAD'), '1');
    const report = await build(clone);
    assert.equal(api(report).digest, pinned);
    assert.ok(api(report).unchanged);
  });

  it('builds the pinned digest on a cold builder, reusing the pinned install layer', async () => {
    const pinned = api(await build(repo.workTree)).previous;
    const clone = await tempDir('ferry-cold-');
    await git(tmpdir(), 'clone', '--quiet', repo.url, clone);
    const cold = await build(clone, '--no-cache', '--cache-dir', await tempDir('ferry-cache-'));
    assert.equal(api(cold).digest, pinned);
    const layers = layersOf(cold);
    assert.deepEqual(
      layers.map((l) => l.reused),
      [false, true, true, true, true, true],
    );

    // The install step writes different bytes every run: without reuse the digest would move.
    const fresh = await build(clone, '--no-cache', '--no-reuse');
    assert.notEqual(api(fresh).digest, pinned);
    assert.deepEqual(
      layersOf(fresh).map((l) => l.changed),
      [false, false, false, false, true, true],
    );
  });
});
