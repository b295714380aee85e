// A commit built to exhaust a gateway's memory: a huge file of zeros (a few hundred KiB on the
// wire) in a path ferryd never reads. ferryd refuses the fetch while it streams, stays small, and
// what runs keeps running.
import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  cleanDevice,
  deviceContainers,
  ferrydConfig,
  ferrydOnce,
  fleetYaml,
  pushWebAppImage,
  uniqueDevice,
  writeFleet,
} from '../helpers/ferryd-harness.js';
import { createFleetRepo, type FleetRepo } from '../helpers/fleet-repo.js';
import { repoRoot } from '../helpers/run-cli.js';

const MiB = 1024 * 1024;

describe('a git pack bomb', () => {
  const device = uniqueDevice('packbomb');
  let repo: FleetRepo | undefined;
  after(async () => {
    await cleanDevice(device);
    await repo?.remove();
  });

  it('is refused while it streams; ferryd stays under 256 MiB and the stack runs on', async () => {
    const image = await pushWebAppImage();
    repo = await createFleetRepo('packbomb', `${repoRoot}/fleet-examples/bms/apps`);
    await writeFleet(repo.workTree, {
      'fleet.yaml': fleetYaml(
        `  - name: svc\n    stack: stacks/svc\n    target: { devices: [${device}] }\n`,
      ),
      'stacks/svc/compose.yaml': `services:\n  app:\n    image: ${image}\n`,
    });
    await repo.commit('good');
    const setup = await ferrydConfig(device, repo.url);
    assert.equal((await ferrydOnce(setup)).result.code, 0);
    const running = (await deviceContainers(device)).get(`${device}.svc.app`);

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
    assert.equal(now?.id, running?.id);
    assert.equal(now?.state, 'running');
  });
});
