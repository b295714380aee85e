// Maintenance windows: outside its window a deployment's images are downloaded, not applied.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { docker } from '../helpers/images.js';
import {
  cleanDevice,
  deviceContainers,
  ferrydConfig,
  ferrydOnce,
  fleetYaml,
  pushTestImage,
  uniqueDevice,
  writeFleet,
} from '../helpers/ferryd-harness.js';
import { createFleetRepo, type FleetRepo } from '../helpers/fleet-repo.js';
import { repoRoot } from '../helpers/run-cli.js';

const device = uniqueDevice('window');
let repo: FleetRepo;
after(async () => {
  await cleanDevice(device);
  await repo?.remove();
});

describe('maintenance windows', () => {
  it('downloads outside the window, applies inside it', async () => {
    const image = await pushTestImage('ferry-test/window', [
      'RUN echo "window $RANDOM" > /window-marker',
      'CMD ["sleep", "3600"]',
    ]);
    const imageId = (await docker.getImage(image).inspect()).Id;
    await docker.getImage(imageId).remove({ force: true });
    const fleet = (cron: string) =>
      fleetYaml(
        `  - name: job\n    stack: stacks/job\n    target: { devices: [${device}] }\n    window: { cron: "${cron}", duration: 2m }\n`,
      );
    repo = await createFleetRepo('window', `${repoRoot}/fleet-examples/bms/apps`);
    await writeFleet(repo.workTree, {
      'fleet.yaml': fleet('0 0 1 1 *'),
      'stacks/job/compose.yaml': `services:\n  job:\n    image: ${image}\n`,
    });
    await repo.commit('outside the window (midnight, January 1st)');
    const setup = await ferrydConfig(device, repo.url);

    const outside = await ferrydOnce(setup);
    assert.equal(outside.result.code, 1, 'not converged while waiting for the window');
    assert.equal(outside.report.deployments[0]?.status, 'waiting-window');
    assert.equal((await deviceContainers(device)).size, 0, 'nothing applied');
    assert.ok(outside.report.bytesDownloaded > 0, 'but the image is already downloaded');
    assert.ok(await docker.getImage(imageId).inspect());

    await writeFleet(repo.workTree, { 'fleet.yaml': fleet('* * * * *') });
    await repo.commit('a window that is always open');
    const inside = await ferrydOnce(setup);
    assert.equal(inside.result.code, 0, inside.result.stdout);
    assert.equal((await deviceContainers(device)).get(`${device}.job.job`)?.state, 'running');
  });
});
