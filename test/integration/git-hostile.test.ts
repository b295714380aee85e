// A commit built to exhaust a gateway's memory: a huge file of zeros (a few hundred KiB on the
// wire) in a path ferryd never reads. ferryd refuses the fetch while it streams, stays small, and
// what runs keeps running.
import assert from 'node:assert/strict';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { GitSource } from '../../daemon/src/source/git-source.js';
import {
  deviceContainers,
  ferrydOnce,
  runningGateway,
  type RunningGateway,
} from '../helpers/ferryd-harness.js';

const MiB = 1024 * 1024;

describe('a git pack bomb', () => {
  let gateway: RunningGateway | undefined;
  after(() => gateway?.remove());

  it('is refused while it streams; ferryd stays under 256 MiB and the stack runs on', async () => {
    gateway = await runningGateway('packbomb');
    const { device, repo, setup } = gateway;
    // 512 MiB of zeros, written sparsely; git compresses it to well under a MiB.
    const bomb = await open(join(repo.workTree, 'firmware.bin'), 'w');
    await bomb.truncate(512 * MiB);
    await bomb.close();
    await repo.commit('add firmware');
    const { result, report, peakRss } = await ferrydOnce(setup, { measureRss: true });
    assert.equal(result.code, 1);
    assert.match(
      report.errors.join('\n'),
      /a blob of 536870912 bytes, more than source.maxObjectBytes \(16777216\)/,
    );
    assert.ok(peakRss! < 256 * MiB, `peak RSS ${(peakRss! / MiB).toFixed(0)} MiB`);
    const now = (await deviceContainers(device)).get(`${device}.svc.app`);
    assert.equal(now?.id, gateway.runningId);
    assert.equal(now?.state, 'running');
  });
});

describe('a git server that accepts and never answers', () => {
  it('is given up on after source.idleTimeout, with the reason', async () => {
    const server = createServer(() => undefined); // requests are left hanging
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const gitdir = await mkdtemp(join(tmpdir(), 'ferry-silent-'));
    const source = new GitSource({
      url: `http://127.0.0.1:${port}/fleet.git`,
      branch: 'main',
      path: '.',
      gitdir,
      limits: { maxObjectBytes: MiB, maxPackBytes: MiB, idleMs: 500 },
    });
    const started = Date.now();
    try {
      await assert.rejects(source.remoteHead(), /no data for 0.5 s/);
      assert.ok(Date.now() - started < 5000);
    } finally {
      server.closeAllConnections();
      server.close();
      await rm(gitdir, { recursive: true, force: true });
    }
  });
});
