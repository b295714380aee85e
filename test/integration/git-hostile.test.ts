// A commit built to exhaust a gateway's memory: a huge file of zeros (a few hundred KiB on the
// wire) in a path ferryd never reads. ferryd refuses the fetch while it streams, stays small, and
// what runs keeps running.
import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
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
