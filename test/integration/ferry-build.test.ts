// `ferry build` on the BMS example fleet, with the real engine, registry and git: reproducible
// digests from an empty build cache, pins committed once, one source change -> one layer.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { BuildReport } from '../../builder/src/pipeline/build-fleet.js';
import { createFleetRepo, type FleetRepo } from '../helpers/fleet-repo.js';
import { repoRoot, runCli } from '../helpers/run-cli.js';
import { testEnv } from '../helpers/test-env.js';

const exec = promisify(execFile);
const git = async (cwd: string, ...args: string[]) =>
  (await exec('git', args, { cwd })).stdout.trim();

type JsonReport = BuildReport & { pinCommit: string | null };

async function build(repo: string, ...args: string[]): Promise<JsonReport> {
  return buildWith({}, repo, ...args);
}

async function buildWith(
  env: Record<string, string>,
  repo: string,
  ...args: string[]
): Promise<JsonReport> {
  const result = await runCli('ferry', ['build', repo, '--json', ...args], {
    timeoutMs: 180_000,
    env,
  });
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as JsonReport;
}

const digestsOf = (report: JsonReport) =>
  Object.fromEntries(report.images.map((i) => [i.image, i.digest]));

let repo: FleetRepo;
before(async () => {
  repo = await createFleetRepo('build', `${repoRoot}/fleet-examples/bms`);
  await repo.commit('bms fleet');
});
after(async () => repo?.remove());

describe('ferry build', () => {
  it('gives identical digests from an empty build cache, commits the pins once, then never again', async () => {
    const first = await build(repo.workTree, '--push', '--commit', '--no-cache');
    assert.ok(first.pinCommit, 'the first build pins the images');
    assert.equal(await git(repo.workTree, 'rev-parse', 'HEAD'), first.pinCommit);
    const message = await git(repo.workTree, 'log', '-1', '--format=%B');
    assert.match(message, /^ferry: pin 2 images built from [0-9a-f]{12}/);
    assert.match(
      message,
      /collector: 127\.0\.0\.1:5101\/bms\/collector\n {4}\(unpinned\) -> sha256:/,
    );

    // Only the image lines changed: comments, flow maps and the second dashboard service kept.
    const diff = await git(repo.workTree, 'diff', '--numstat', 'HEAD~1', 'HEAD');
    assert.deepEqual(diff.split('\n').sort(), [
      '1\t1\tstacks/bms-collector/compose.yaml',
      '2\t2\tstacks/bms-dashboard/compose.yaml',
    ]);
    const compose = await readFile(
      join(repo.workTree, 'stacks/bms-dashboard/compose.yaml'),
      'utf8',
    );
    const dashboard = first.images.find((i) => i.image.endsWith('/bms/dashboard'))!;
    assert.equal(
      compose.split(`image: 127.0.0.1:5101/bms/dashboard@${dashboard.digest}`).length,
      3,
    );
    assert.match(compose, /^# Central web server and dashboard/);
    assert.equal(await git(repo.workTree, 'status', '--porcelain'), '');

    const second = await build(repo.workTree, '--push', '--commit', '--no-cache');
    assert.deepEqual(digestsOf(second), digestsOf(first));
    assert.equal(second.pinCommit, null);
    assert.deepEqual(second.pins, []);
    assert.ok(second.images.every((i) => i.unchanged));
    assert.equal(await git(repo.workTree, 'rev-parse', 'HEAD'), first.pinCommit);

    // A fresh clone elsewhere, with the engine cache warm this time, builds the same bytes too,
    // also when it reads images with `docker save` (as for a remote engine) into an empty cache.
    const clone = await mkdtemp(join(tmpdir(), 'ferry-clone-'));
    try {
      await git(tmpdir(), 'clone', '--quiet', repo.workTree, clone);
      assert.deepEqual(digestsOf(await build(clone)), digestsOf(first));
      const saved = await buildWith(
        { FERRY_BUILD_STAGE: 'off' },
        clone,
        '--cache-dir',
        join(clone, '.ferry-cache'),
      );
      assert.deepEqual(digestsOf(saved), digestsOf(first));
    } finally {
      await rm(clone, { recursive: true, force: true });
    }
  });

  it('changes exactly one layer of one service when one source file changes', async () => {
    const before = digestsOf(await build(repo.workTree));
    const script = join(repo.workTree, 'apps/collector/collect.sh');
    await writeFile(script, `${await readFile(script, 'utf8')}# calibrated\n`);
    await repo.commit('collector: calibration note');
    const report = await build(repo.workTree, '--push', '--commit');

    const collector = report.images.find((i) => i.image.endsWith('/bms/collector'))!;
    const dashboard = report.images.find((i) => i.image.endsWith('/bms/dashboard'))!;
    assert.equal(dashboard.digest, before['127.0.0.1:5101/bms/dashboard']);
    assert.ok(dashboard.unchanged);
    assert.notEqual(collector.digest, before['127.0.0.1:5101/bms/collector']);
    const layers = collector.platforms[0]!.layers;
    assert.deepEqual(
      layers.map((l) => l.changed),
      [false, true],
    );
    assert.match(layers[1]!.step, /^COPY /);
    // The base layer is the busybox image's, byte for byte, and both services share it.
    const base = await exec('docker', [
      'image',
      'inspect',
      testEnv.baseImage,
      '--format',
      '{{json .RootFS.Layers}}',
    ]);
    assert.equal(layers[0]!.diffId, (JSON.parse(base.stdout) as string[])[0]);
    assert.deepEqual(layers[0]!.sharedWith, ['bms-dashboard/api']);
    const message = await git(repo.workTree, 'log', '-1', '--format=%B');
    assert.match(message, /^ferry: pin 1 image built from/);
    assert.match(message, new RegExp(`sha256:[0-9a-f]{64} -> ${collector.digest}`));
  });

  it('commits to a review branch without touching the work tree', async () => {
    const script = join(repo.workTree, 'apps/dashboard/serve.sh');
    await writeFile(script, `${await readFile(script, 'utf8')}# review me\n`);
    const head = await repo.commit('dashboard: change for review');
    const report = await build(repo.workTree, '--push', '--commit', '--branch', 'ferry/pins');
    assert.ok(report.pinCommit);
    assert.equal(await git(repo.workTree, 'rev-parse', 'HEAD'), head);
    assert.equal(await git(repo.workTree, 'rev-parse', 'ferry/pins'), report.pinCommit);
    assert.equal(await git(repo.workTree, 'rev-parse', 'ferry/pins~1'), head);
    assert.equal(await git(repo.workTree, 'status', '--porcelain'), '');
    const pinned = await git(repo.workTree, 'show', 'ferry/pins:stacks/bms-dashboard/compose.yaml');
    assert.match(pinned, new RegExp(`bms/dashboard@${report.images[1]!.digest}`));
  });

  it('refuses --commit without --push, and a built image named with a variable', async () => {
    const noPush = await runCli('ferry', ['build', repo.workTree, '--commit']);
    assert.equal(noPush.code, 2);
    assert.match(noPush.stderr, /--commit needs --push/);

    const compose = join(repo.workTree, 'stacks/bms-collector/compose.yaml');
    const text = await readFile(compose, 'utf8');
    await writeFile(
      compose,
      text.replace(
        /image: 127\.0\.0\.1:5101\/bms\/collector\S*/,
        'image: ${REGISTRY}/bms/collector',
      ),
    );
    await repo.commit('collector image from a variable');
    const bad = await runCli('ferry', ['build', repo.workTree]);
    assert.equal(bad.code, 1);
    assert.match(
      bad.stderr,
      /^stacks\/bms-collector\/compose\.yaml:4:12 services\.collector\.image: the image of a built service cannot use \$\{VARIABLES\}/m,
    );
  });
});
