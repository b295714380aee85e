// A hostile or broken registry (test/helpers/hostile-registry.ts) against ferryd's fetch stage and
// against a running ferryd: everything it sends is bounded, nothing it sends is kept, and what the
// gateway runs keeps running.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BlobStore } from '../../daemon/src/fetch/blob-store.js';
import { RegistryClient } from '#kernel/oci/registry-client.js';
import { resolveImage } from '#kernel/oci/resolve-image.js';
import { eventually } from '../helpers/eventually.js';
import {
  deviceContainers,
  ferrydOnce,
  runningGateway,
  type RunningGateway,
} from '../helpers/ferryd-harness.js';
import { HostileRegistry, type Misbehaviour } from '../helpers/hostile-registry.js';

const MiB = 1024 * 1024;
const platform = { os: 'linux', architecture: 'amd64' };
const client = new RegistryClient({ retries: 0 });

async function against<T>(
  misbehaviour: Misbehaviour,
  work: (registry: HostileRegistry, host: string) => Promise<T>,
): Promise<T> {
  const registry = new HostileRegistry(misbehaviour);
  const host = await registry.start();
  try {
    return await work(registry, host);
  } finally {
    await registry.stop();
  }
}

describe('the fetch stage against a hostile registry', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-hostile-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('stops a blob the moment it passes the size its manifest gave, and keeps nothing', async () => {
    await against('endless-blob', async (registry, host) => {
      const store = new BlobStore(dir);
      const image = await resolveImage(client, registry.reference(host), platform);
      const layer = image.layers[0]!;
      await assert.rejects(
        store.download(client, image.ref, layer),
        /sent more than its 100 bytes; refused/,
      );
      assert.equal(await store.bytesOnDisk(layer.digest), 0);
      assert.deepEqual(await readdir(dir), []);
      assert.ok(registry.bytesSent < 16 * MiB, `${registry.bytesSent} bytes sent`);
    });
  });

  it('refuses a manifest without end after 4 MiB', async () => {
    await against('endless-manifest', async (registry, host) => {
      await assert.rejects(
        resolveImage(client, registry.reference(host), platform),
        /manifest .* is larger than 4194304 bytes; refused/,
      );
      assert.ok(registry.bytesSent < 64 * MiB, `${registry.bytesSent} bytes sent`);
    });
  });

  it('refuses a manifest whose Content-Length is too large without reading it', async () => {
    await against('huge-manifest', async (registry, host) => {
      await assert.rejects(
        resolveImage(client, registry.reference(host), platform),
        /is larger than 4194304 bytes/,
      );
      assert.ok(registry.bytesSent < 16 * MiB, `${registry.bytesSent} bytes sent`);
    });
  });

  it('refuses an image config without end', async () => {
    await against('endless-config', async (registry, host) => {
      await assert.rejects(
        resolveImage(client, registry.reference(host), platform),
        /image config sha256:.* is larger than 8388608 bytes/,
      );
    });
  });

  it('aborts a download that trickles below the minimum rate, keeping what arrived to resume', async () => {
    await against('trickle', async (registry, host) => {
      const store = new BlobStore(dir);
      const image = await resolveImage(client, registry.reference(host), platform);
      const layer = image.layers[0]!;
      const started = Date.now();
      await assert.rejects(
        store.download(client, image.ref, layer, { minBytesPerSecond: 100, slowWindowMs: 2000 }),
        /too slow: \d+ bytes in 2 s \(registry.minBytesPerSecond is 100\)/,
      );
      assert.ok(Date.now() - started < 6000, `${Date.now() - started} ms`);
      assert.ok((await store.bytesOnDisk(layer.digest)) >= 1, 'the bytes that came are kept');
      await store.remove(layer.digest);
    });
  });

  it("stops at once when the caller cancels, with the caller's reason", async () => {
    await against('trickle', async (registry, host) => {
      const store = new BlobStore(dir);
      const image = await resolveImage(client, registry.reference(host), platform);
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('the pass moved on')), 500);
      await assert.rejects(
        store.download(client, image.ref, image.layers[0]!, { signal: controller.signal }),
        /the pass moved on/,
      );
      await store.remove(image.layers[0]!.digest);
    });
  });

  it('refuses 10,000 layers before downloading any', async () => {
    await against('many-layers', async (registry, host) => {
      await assert.rejects(
        resolveImage(client, registry.reference(host), platform),
        /has 10000 layers; the engine runs at most 127/,
      );
      assert.equal(registry.blobRequests, 0);
    });
  });
});

describe('a running ferryd against a hostile registry', () => {
  let gateway: RunningGateway;
  before(async () => {
    gateway = await runningGateway('hostile');
  });
  after(() => gateway?.remove());

  const attacks: [Misbehaviour, RegExp][] = [
    ['endless-blob', /sent more than its 100 bytes; refused/],
    ['endless-manifest', /manifest .* is larger than 4194304 bytes/],
    ['huge-manifest', /manifest .* is larger than 4194304 bytes/],
    ['endless-config', /image config .* is larger than 8388608 bytes/],
    ['many-layers', /has 10000 layers/],
  ];
  for (const [misbehaviour, says] of attacks)
    it(`${misbehaviour}: refused, the stack runs on, no partial blob, peak RSS under 256 MiB`, async () => {
      await against(misbehaviour, async (registry, host) => {
        const { device, setup } = gateway;
        await gateway.deploy(
          registry.reference(host),
          `an image from a registry with ${misbehaviour}`,
        );
        const { result, report, peakRss } = await ferrydOnce(setup, { measureRss: true });
        assert.equal(result.code, 1);
        assert.match(report.errors.join('\n'), says);
        assert.ok(peakRss! < 256 * MiB, `peak RSS ${(peakRss! / MiB).toFixed(0)} MiB`);
        const now = (await deviceContainers(device)).get(`${device}.svc.app`);
        assert.equal(now?.id, gateway.runningId);
        assert.equal(now?.state, 'running');
        const blobs = await readdir(join(setup.stateDir, 'blobs')).catch(() => []);
        assert.deepEqual(
          blobs.filter((name) => name.endsWith('.partial')),
          [],
        );
      });
    });
});

describe('a running ferryd against a registry that sends one byte a second', () => {
  let registry: HostileRegistry;
  let gateway: RunningGateway;
  before(async () => {
    registry = new HostileRegistry('trickle');
    gateway = await runningGateway('trickle');
    await gateway.deploy(registry.reference(await registry.start()), 'a trickling image');
  });
  after(async () => {
    await registry?.stop();
    await gateway?.remove();
  });

  it('gives up at registry.downloadDeadline and keeps the stack running', async () => {
    const { device, setup } = gateway;
    const config = await readFile(setup.configFile, 'utf8');
    await writeFile(
      setup.configFile,
      `${config}registry: { downloadDeadline: 3s, minBytesPerSecond: 1, slowWindow: 60s }\n`,
    );
    const started = Date.now();
    const { result, report } = await ferrydOnce(setup);
    await writeFile(setup.configFile, config);
    assert.equal(result.code, 1);
    assert.match(report.errors.join('\n'), /downloads passed registry.downloadDeadline \(3 s\)/);
    assert.ok(Date.now() - started < 20_000);
    assert.equal((await deviceContainers(device)).get(`${device}.svc.app`)?.id, gateway.runningId);
  });

  it('cancels the download when the branch moves, and says to which commit', async () => {
    const { setup } = gateway;
    // The pass is downloading once the trickling layer's partial file grows (the previous test
    // left some bytes of it: a download stopped at a deadline resumes later).
    const blobs = join(setup.stateDir, 'blobs');
    const partialBytes = async () => {
      const names = await readdir(blobs).catch(() => [] as string[]);
      const partial = names.find((n) => n.endsWith('.partial'));
      return partial ? (await stat(join(blobs, partial))).size : 0;
    };
    const before = await partialBytes();
    const pass = ferrydOnce(setup);
    await eventually('the download under way', async () => (await partialBytes()) > before);
    const fix = await gateway.deploy(gateway.goodImage, 'back to the good image');
    const { result, report } = await pass;
    assert.equal(result.code, 1);
    assert.equal(report.superseded, fix);
    assert.match(
      report.errors.join('\n'),
      /the branch moved from \w{12} to \w{12} while downloading/,
    );
    assert.ok(
      (await readdir(blobs)).some((n) => n.endsWith('.partial')),
      'a partial download',
    );
    const next = await ferrydOnce(setup);
    assert.equal(next.result.code, 0, next.result.stdout);
    assert.equal(next.report.revision, fix);
    // The fleet moved on from the trickling image: its partial download is swept.
    assert.deepEqual(await readdir(blobs), []);
  });
});
