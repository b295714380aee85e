// Ferry's own transfer: only missing layers, by content not compression, resumed across resets
// and restarts, verified before import, with both registry auth flows, per platform, disk-guarded.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  cleanDevice,
  deviceContainers,
  ferrydConfig,
  ferrydOnce,
  fleetYaml,
  uniqueDevice,
  writeFleet,
  type FerrydSetup,
} from '../helpers/ferryd-harness.js';
import { eventually } from '../helpers/eventually.js';
import { createFleetRepo, type FleetRepo } from '../helpers/fleet-repo.js';
import { docker } from '../helpers/images.js';
import { RegistryProxy } from '../helpers/registry-proxy.js';
import { repoRoot } from '../helpers/run-cli.js';
import {
  incompressible,
  pushSyntheticImage,
  pushSyntheticIndex,
  type ImageSpec,
} from '../helpers/synthetic-images.js';
import { testEnv } from '../helpers/test-env.js';

const repos: FleetRepo[] = [];
const devices: string[] = [];
after(async () => {
  for (const device of devices) await cleanDevice(device);
  await Promise.all(repos.map((r) => r.remove()));
});

/** A device with a one-service fleet; `deploy(image)` commits that image and runs ferryd once. */
async function gateway(name: string, configEdit: (config: string) => string = (c) => c) {
  const device = uniqueDevice(name);
  devices.push(device);
  const repo = await createFleetRepo(name, `${repoRoot}/fleet-examples/bms/apps`);
  repos.push(repo);
  const setup: FerrydSetup = await ferrydConfig(device, repo.url);
  await writeFile(setup.configFile, configEdit(await readFile(setup.configFile, 'utf8')));
  const commit = async (image: string) => {
    await writeFleet(repo.workTree, {
      'fleet.yaml': fleetYaml(
        `  - name: app\n    stack: stacks/app\n    target: { devices: [${device}] }\n    update: { healthTimeout: 20s }\n`,
      ),
      'stacks/app/compose.yaml': `services:\n  app:\n    image: ${image}\n`,
    });
    return repo.commit(`deploy ${image}`);
  };
  const deploy = async (image: string) => {
    await commit(image);
    return ferrydOnce(setup);
  };
  return { device, setup, commit, deploy };
}

const unique = (label: string) => `${label}-${process.pid}-${Date.now()}`;
const appLayer = { files: { 'app/binary': incompressible(1024 * 1024) } };

describe('layer-aware transfer', () => {
  let gw: Awaited<ReturnType<typeof gateway>>;
  const spec = (layers: ImageSpec['layers'], more: Partial<ImageSpec> = {}): ImageSpec => ({
    repository: 'ferry-test/transfer',
    tag: unique('v'),
    layers,
    ...more,
  });
  before(async () => {
    gw = await gateway('xfer');
  });

  it('downloads only the layer that changed', async () => {
    const v1 = await pushSyntheticImage(
      spec([appLayer, { files: { 'etc/app.conf': incompressible(100 * 1024) } }]),
    );
    const first = await gw.deploy(v1.reference);
    assert.equal(first.result.code, 0, first.result.stdout + first.result.stderr);
    assert.equal(first.report.layers.downloaded, 2);

    const changed = { files: { 'etc/app.conf': incompressible(200 * 1024) } };
    const v2 = await pushSyntheticImage(spec([appLayer, changed]));
    const second = await gw.deploy(v2.reference);
    assert.equal(second.result.code, 0, second.result.stdout + second.result.stderr);
    const changedLayer = v2.layers.at(-1)!;
    assert.ok(
      Math.abs(second.report.bytesDownloaded - changedLayer.size) < 300,
      `downloaded ${second.report.bytesDownloaded}, the layer is ${changedLayer.size}`,
    );
    assert.deepEqual(second.report.layers, { downloaded: 1, reused: 2 });
    assert.equal((await deviceContainers(gw.device)).get(`${gw.device}.app.app`)?.state, 'running');

    // The same content, compressed differently: new blob digests, nothing to download.
    const recompressed = await pushSyntheticImage(spec([appLayer, changed], { gzipLevel: 1 }));
    assert.notEqual(recompressed.layers.at(-1)!.digest, changedLayer.digest);
    const third = await gw.deploy(recompressed.reference);
    assert.equal(third.result.code, 0, third.result.stdout + third.result.stderr);
    assert.equal(third.report.bytesDownloaded, 0);
    assert.equal(third.report.layers.downloaded, 0);
  });

  it('completes through a link that resets every 256 KiB, with at most 1.1x the bytes', async () => {
    const proxy = new RegistryProxy({ resetEvery: 256 * 1024 });
    const host = await proxy.start();
    try {
      const image = await pushSyntheticImage(
        spec([{ files: { 'data/blob': incompressible(2 * 1024 * 1024) } }]),
      );
      const layer = image.layers.at(-1)!;
      const { result, report } = await gw.deploy(image.reference.replace(testEnv.registry, host));
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.ok(proxy.rangeStarts.length >= 7, `resumed ${proxy.rangeStarts.length} times`);
      assert.ok(
        proxy.blobBytes <= 1.1 * layer.size + 4096,
        `${proxy.blobBytes} bytes served for a ${layer.size}-byte layer`,
      );
      assert.ok(report.bytesDownloaded <= 1.1 * layer.size);
    } finally {
      await proxy.stop();
    }
  });

  it('rejects a blob whose bytes do not match its digest, and never loads it', async () => {
    const image = await pushSyntheticImage(
      spec([{ files: { 'data/blob': incompressible(300 * 1024) } }]),
    );
    const layer = image.layers.at(-1)!;
    const proxy = new RegistryProxy({ corruptDigest: layer.digest });
    const host = await proxy.start();
    try {
      const running = (await deviceContainers(gw.device)).get(`${gw.device}.app.app`);
      const { result, report } = await gw.deploy(image.reference.replace(testEnv.registry, host));
      assert.equal(result.code, 1);
      assert.match(report.errors.join('\n'), /corrupt/);
      await assert.rejects(docker.getImage(image.configDigest).inspect(), /no such image/i);
      assert.equal(
        (await deviceContainers(gw.device)).get(`${gw.device}.app.app`)?.id,
        running?.id,
      );
    } finally {
      await proxy.stop();
    }
  });

  it('resumes a download after ferryd is killed in the middle of it', async () => {
    const proxy = new RegistryProxy({ bytesPerSecond: 1024 * 1024 });
    const host = await proxy.start();
    try {
      const image = await pushSyntheticImage(
        spec([{ files: { 'data/blob': incompressible(4 * 1024 * 1024) } }]),
      );
      const layer = image.layers.at(-1)!;
      await gw.commit(image.reference.replace(testEnv.registry, host));
      const child = spawn(
        process.execPath,
        [`${repoRoot}bin/ferryd.js`, 'once', '--config', gw.setup.configFile],
        { stdio: 'ignore' },
      );
      const blobs = join(gw.setup.stateDir, 'blobs');
      const partialSize = async () => {
        const names = await readdir(blobs).catch(() => [] as string[]);
        const partial = names.find((n) => n.endsWith('.partial'));
        return partial ? (await stat(join(blobs, partial))).size : 0;
      };
      await eventually('a MiB of the download', async () => (await partialSize()) >= 1024 * 1024, {
        everyMs: 50,
      });
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const kept = await partialSize();
      assert.ok(kept >= 1024 * 1024);

      proxy.behaviour = {};
      proxy.blobBytes = 0;
      const { result, report } = await ferrydOnce(gw.setup);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.ok(
        proxy.rangeStarts.some((start) => start >= kept - 65536),
        `resumed from ${proxy.rangeStarts.join(',')}, ${kept} bytes were on disk`,
      );
      assert.ok(
        report.bytesDownloaded <= layer.size - kept + 65536,
        `second run downloaded ${report.bytesDownloaded}`,
      );
      assert.ok(
        proxy.blobBytes <= layer.size - kept + 65536,
        `${proxy.blobBytes} bytes served after the restart`,
      );
    } finally {
      await proxy.stop();
    }
  });
});

describe('registry authentication and platforms', () => {
  it('gets bearer tokens from the realm with the configured credentials', async () => {
    const credentials = { username: 'gw', password: 'token-secret' };
    const proxy = new RegistryProxy({ bearer: credentials });
    const host = await proxy.start();
    try {
      const image = await pushSyntheticImage({
        repository: 'ferry-test/bearer',
        tag: unique('b'),
        layers: [{ files: { x: incompressible(10_000) } }],
      });
      const secret = join(testEnv.home, `bearer-${process.pid}`);
      await writeFile(secret, credentials.password);
      const gw = await gateway(
        'bearer',
        (c) => `${c}registry: { auth: { "${host}": { username: gw, passwordFile: ${secret} } } }\n`,
      );
      const { result } = await gw.deploy(image.reference.replace(testEnv.registry, host));
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.ok(proxy.tokensIssued.length > 0);
      assert.ok(proxy.tokensIssued.every((t) => t.includes('repository:ferry-test/bearer:pull')));
    } finally {
      await proxy.stop();
    }
  });

  it('uses basic auth where the registry asks for it', async () => {
    const { username, password } = testEnv.authRegistryUser;
    const image = await pushSyntheticImage({
      registry: testEnv.authRegistry,
      repository: 'ferry-test/basic',
      tag: unique('b'),
      layers: [{ files: { y: incompressible(10_000) } }],
      credentials: { username, password },
    });
    const secret = join(testEnv.home, `basic-${process.pid}`);
    await writeFile(secret, password);
    const gw = await gateway(
      'basic',
      (c) =>
        `${c}registry: { auth: { "${testEnv.authRegistry}": { username: ${username}, passwordFile: ${secret} } } }\n`,
    );
    const { result } = await gw.deploy(image.reference);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const unauthenticated = await gateway('noauth');
    const refused = await unauthenticated.deploy(image.reference);
    assert.equal(refused.result.code, 1);
    assert.match(refused.report.errors.join('\n'), /needs credentials/);
  });

  it('tries mirrors first and falls back to the registry itself', async () => {
    const mirror = new RegistryProxy();
    const mirrorHost = await mirror.start();
    try {
      const image = await pushSyntheticImage({
        repository: 'ferry-test/mirrored',
        tag: unique('m'),
        layers: [{ files: { m: incompressible(20_000) } }],
      });
      const viaMirror = await gateway(
        'mirror',
        (c) => `${c}registry: { mirrors: { "${testEnv.registry}": ["http://${mirrorHost}"] } }\n`,
      );
      assert.equal((await viaMirror.deploy(image.reference)).result.code, 0);
      assert.ok(mirror.blobBytes >= image.layers.at(-1)!.size, 'the layer came through the mirror');

      const other = await pushSyntheticImage({
        repository: 'ferry-test/mirrored',
        tag: unique('m'),
        layers: [{ files: { m: incompressible(20_000) } }],
      });
      const deadMirror = await gateway(
        'nomirror',
        (c) => `${c}registry: { mirrors: { "${testEnv.registry}": ["http://127.0.0.1:9"] } }\n`,
      );
      const { result, report } = await deadMirror.deploy(other.reference);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.ok(report.bytesDownloaded >= other.layers.at(-1)!.size);
    } finally {
      await mirror.stop();
    }
  });

  it("resolves an amd64 + arm64 index to the device's platform", async () => {
    const { reference, images } = await pushSyntheticIndex(
      { repository: 'ferry-test/multiarch', tag: unique('i') },
      { amd64: [{ files: { arch: 'amd64\n' } }], arm64: [{ files: { arch: 'arm64\n' } }] },
    );
    const gw = await gateway('arm', (c) =>
      c.replace(/device: \{ id: ([^ ]+) \}/, 'device: { id: $1, arch: arm64 }'),
    );
    const { result } = await gw.deploy(reference);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const container = (await deviceContainers(gw.device)).get(`${gw.device}.app.app`);
    const info = await docker.getContainer(container!.id).inspect();
    assert.equal(info.Image, images.arm64!.configDigest);
    assert.equal((await docker.getImage(info.Image).inspect()).Architecture, 'arm64');
  });

  it('refuses an update that would eat into the disk reserve, touching nothing', async () => {
    const gw = await gateway('disk', (c) =>
      c.replace(/state: \{ dir: ([^ ]+) \}/, 'state: { dir: $1, reserveBytes: 1000000000000000 }'),
    );
    const image = await pushSyntheticImage({
      repository: 'ferry-test/disk',
      tag: unique('d'),
      layers: [{ files: { z: incompressible(50_000) } }],
    });
    const { result, report } = await gw.deploy(image.reference);
    assert.equal(result.code, 1);
    assert.match(
      report.errors.join('\n'),
      /not enough disk in .*: the update needs .* MiB free, .* reserved/,
    );
    assert.equal(report.bytesDownloaded, 0);
    assert.equal((await deviceContainers(gw.device)).size, 0);
  });
});
