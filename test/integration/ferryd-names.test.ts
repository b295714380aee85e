// Engine names on a real engine: tenants cannot meet in one volume, a taken name is refused rather
// than adopted, and a gateway that ran the earlier dash-joined names keeps its data.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../helpers/eventually.js';
import {
  cleanDevice,
  deviceContainers,
  ferrydConfig,
  ferrydOnce,
  fleetYaml,
  pushWebAppImage,
  uniqueDevice,
  writeFleet,
  type FerrydSetup,
} from '../helpers/ferryd-harness.js';
import { docker } from '../helpers/images.js';
import { createFleetRepo, type FleetRepo } from '../helpers/fleet-repo.js';
import { repoRoot } from '../helpers/run-cli.js';

let image: string;
before(async () => {
  image = await pushWebAppImage();
});

/** Runs `sh -c script` in a throwaway container with `volume` at /v; returns its output. */
async function inVolume(volume: string, script: string): Promise<string> {
  const container = await docker.createContainer({
    Image: image,
    Cmd: ['sh', '-c', script],
    // A terminal: the log is the plain output, not the multiplexed stream.
    Tty: true,
    HostConfig: { Mounts: [{ Type: 'volume', Source: volume, Target: '/v' }] },
  });
  await container.start();
  await container.wait();
  const logs = await container.logs({ stdout: true, stderr: true });
  await container.remove();
  return logs.toString('utf8').replace(/\r/g, '');
}

async function removeVolumes(prefix: string) {
  const { Volumes } = await docker.listVolumes();
  for (const v of Volumes ?? [])
    if (v.Name.startsWith(prefix))
      await docker
        .getVolume(v.Name)
        .remove()
        .catch(() => undefined);
}

async function fleet(deployments: string, stacks: Record<string, string>) {
  const repo = await createFleetRepo('names', `${repoRoot}/fleet-examples/bms/apps`);
  const files: Record<string, string> = { 'fleet.yaml': fleetYaml(deployments) };
  for (const [name, compose] of Object.entries(stacks))
    files[`stacks/${name}/compose.yaml`] = compose;
  await writeFleet(repo.workTree, files);
  await repo.commit('fleet');
  return repo;
}

const writer = (volume: string, word: string) =>
  `services:\n  app:\n    image: IMAGE\n    command: ["sh", "-c", "echo ${word} >> /d/words; exec sleep 3600"]\n    volumes: ["${volume}:/d"]\nvolumes:\n  ${volume}: {}\n`;

describe('two tenants whose names joined with dashes would meet', () => {
  const device = uniqueDevice('names');
  let repo: FleetRepo;
  let setup: FerrydSetup;
  before(async () => {
    const deployments =
      `  - { name: labs, tenant: acme, stack: stacks/labs, target: { devices: [${device}] } }\n` +
      `  - { name: x, tenant: acme-labs, stack: stacks/x, target: { devices: [${device}] } }\n`;
    repo = await fleet(deployments, {
      labs: writer('x-data', 'acme').replace('IMAGE', image),
      x: writer('data', 'acme-labs').replace('IMAGE', image),
    });
    setup = await ferrydConfig(device, repo.url);
  });
  after(async () => {
    await cleanDevice(device);
    await removeVolumes(device);
    await repo?.remove();
  });

  it("gives each its own volume, and neither sees the other's data", async () => {
    const { result } = await ferrydOnce(setup);
    assert.equal(result.code, 0, result.stdout);
    const names = [`${device}.acme_labs.x-data`, `${device}.acme-labs_x.data`];
    for (const name of names) {
      const labels = (await docker.getVolume(name).inspect()).Labels;
      assert.equal(labels['ferry.device'], device);
    }
    // Each service writes its word once it runs.
    const words = (name: string) =>
      inVolume(name, 'cat /v/words 2>/dev/null').then((w) => w.trim());
    assert.equal(
      await eventually('acme wrote', async () => (await words(names[0]!)) || undefined),
      'acme',
    );
    assert.equal(
      await eventually('acme-labs wrote', async () => (await words(names[1]!)) || undefined),
      'acme-labs',
    );
  });
});

describe('a volume name taken by something that is not this deployment', () => {
  const device = uniqueDevice('taken');
  let repo: FleetRepo;
  let setup: FerrydSetup;
  before(async () => {
    repo = await fleet(`  - { name: svc, stack: stacks/svc, target: { devices: [${device}] } }\n`, {
      svc: writer('data', 'mine').replace('IMAGE', image),
    });
    setup = await ferrydConfig(device, repo.url);
    // Someone else's volume under the name ferryd would give this deployment's volume.
    await docker.createVolume({ Name: `${device}.svc.data`, Labels: { owner: 'someone' } });
    await inVolume(`${device}.svc.data`, 'echo secret > /v/theirs');
  });
  after(async () => {
    await cleanDevice(device);
    await removeVolumes(device);
    await repo?.remove();
  });

  it('is refused, not adopted: no container of ours ever mounts it', async () => {
    const { result, report } = await ferrydOnce(setup);
    assert.equal(result.code, 1);
    assert.match(
      JSON.stringify(report),
      new RegExp(`volume ${device}\\.svc\\.data exists already \\(not managed by Ferry\\)`),
    );
    assert.equal((await deviceContainers(device)).size, 0);
    assert.equal((await inVolume(`${device}.svc.data`, 'ls /v')).trim(), 'theirs');
  });
});

describe('a gateway upgraded from the dash-joined names', () => {
  const device = uniqueDevice('upgrade');
  const legacy = { volume: `${device}-svc-data`, network: `${device}-svc-default` };
  let repo: FleetRepo;
  let setup: FerrydSetup;
  before(async () => {
    const compose = `services:\n  app:\n    image: ${image}\n    volumes: ["data:/data"]\nvolumes:\n  data: {}\n`;
    repo = await fleet(`  - { name: svc, stack: stacks/svc, target: { devices: [${device}] } }\n`, {
      svc: compose,
    });
    setup = await ferrydConfig(device, repo.url);
    // What the earlier ferryd left running: its labels, its names, data in the volume.
    const owned = { 'ferry.managed': 'true', 'ferry.device': device, 'ferry.deployment': 'svc' };
    await docker.createVolume({ Name: legacy.volume, Labels: owned });
    await docker.createNetwork({ Name: legacy.network, Labels: owned });
    await inVolume(legacy.volume, 'echo readings-since-2024 > /v/history');
    const old = await docker.createContainer({
      name: `${device}-svc-app`,
      Image: image,
      Labels: {
        ...owned,
        'ferry.service': 'app',
        'ferry.config-hash': 'hash-of-the-earlier-ferryd',
        'ferry.revision': 'old',
        'ferry.image': image,
      },
      HostConfig: {
        NetworkMode: legacy.network,
        Mounts: [{ Type: 'volume', Source: legacy.volume, Target: '/data' }],
      },
    });
    await old.start();
  });
  after(async () => {
    await cleanDevice(device);
    await docker
      .getNetwork(legacy.network)
      .remove()
      .catch(() => undefined);
    await removeVolumes(device);
    await repo?.remove();
  });

  it('keeps the data: the new container mounts the old volume, on the old network', async () => {
    const { result } = await ferrydOnce(setup);
    assert.equal(result.code, 0, result.stdout);
    const containers = await deviceContainers(device);
    assert.deepEqual([...containers.keys()], [`${device}.svc.app`]);
    const info = await docker.getContainer(containers.get(`${device}.svc.app`)!.id).inspect();
    assert.deepEqual(
      info.Mounts.map((m) => [m.Name, m.Destination]),
      [[legacy.volume, '/data']],
    );
    assert.deepEqual(Object.keys(info.NetworkSettings.Networks), [legacy.network]);
    assert.equal((await inVolume(legacy.volume, 'cat /v/history')).trim(), 'readings-since-2024');
    const { Volumes } = await docker.listVolumes();
    assert.ok(!(Volumes ?? []).some((v) => v.Name === `${device}.svc.data`), 'no new empty volume');
  });
});
