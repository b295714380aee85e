// The compose files gateway users bring (test/fixtures/compose: stacks modelled on what EdgeX,
// Home Assistant, Zigbee2MQTT, ChirpStack, ThingsBoard, Frigate, Pi-hole, balena, IOTstack and
// others publish) validate and resolve as written, each as one deployment of a fleet.
import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { validateFleet } from '../../builder/src/validate/validate-fleet.js';
import type { DesiredDeployment } from '#kernel/fleet/desired-state.js';
import { loadFleet } from '#kernel/fleet/load-fleet.js';
import { resolveDevice } from '#kernel/fleet/resolve-device.js';
import { DirectoryReader } from '#kernel/source/directory-reader.js';
import { SchemaValidator } from '#kernel/validate.js';

const corpus = new URL('../../../test/fixtures/compose/', import.meta.url).pathname;

/** What a device file gives the stacks: the variables their .env files would otherwise hold. */
const VARS = { TZ: 'Europe/Vienna', ZWAVE_SESSION_SECRET: 'not-a-real-secret' };

async function fleetOf(stack: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `ferry-corpus-${stack}-`));
  await cp(join(corpus, stack), join(dir, 'stacks', stack), { recursive: true });
  await writeFile(
    join(dir, 'fleet.yaml'),
    `apiVersion: ferry/v1\nkind: Fleet\ndefaults: { registry: registry.example.com/plant }\ndeployments:\n  - name: ${stack}\n    stack: stacks/${stack}\n    target: { devices: [gw] }\n`,
  );
  await cp(join(corpus, '..', 'corpus-device.yaml'), join(dir, 'devices', 'gw.yaml')).catch(
    async () => {
      await import('node:fs/promises').then((fs) => fs.mkdir(join(dir, 'devices')));
      await writeFile(join(dir, 'devices', 'gw.yaml'), `vars: ${JSON.stringify(VARS)}\n`);
    },
  );
  return dir;
}

async function deploymentOf(stack: string): Promise<DesiredDeployment> {
  const fleet = await loadFleet(new DirectoryReader(await fleetOf(stack)), new SchemaValidator());
  const resolved = resolveDevice(fleet, 'gw');
  assert.deepEqual(resolved.problems, []);
  return resolved.state!.deployments[0]!;
}

const stacks = (await readdir(corpus)).sort();

describe('the compose corpus', () => {
  it('holds at least 30 stacks', () => assert.ok(stacks.length >= 30, `${stacks.length}`));

  for (const stack of stacks)
    it(`${stack}: validates with no problem and resolves every service`, async () => {
      const report = await validateFleet(new DirectoryReader(await fleetOf(stack)));
      assert.deepEqual(
        report.problems.map((p) => `${p.file}:${p.line}:${p.col} ${p.path}: ${p.message}`),
        [],
      );
      const deployment = await deploymentOf(stack);
      assert.ok(deployment.services.length > 0);
      for (const service of deployment.services) assert.notEqual(service.image, '');
    });
});

describe('what the corpus stacks mean on a device', () => {
  const service = (d: DesiredDeployment, name: string) => {
    const found = d.services.find((s) => s.name === name);
    assert.ok(found, `service ${name}`);
    return found;
  };

  it('ships configuration files and folders from the repository, read-only', async () => {
    const tig = await deploymentOf('tig');
    const conf = service(tig, 'telegraf').mounts.find(
      (m) => m.target === '/etc/telegraf/telegraf.conf',
    );
    assert.equal(conf?.origin?.kind, 'repository');
    assert.equal(conf?.readOnly, true);
    const provisioning = service(tig, 'grafana').mounts.find(
      (m) => m.target === '/etc/grafana/provisioning',
    );
    assert.deepEqual(
      provisioning?.origin && {
        kind: provisioning.origin.kind,
        entry: 'entry' in provisioning.origin ? provisioning.origin.entry : '',
      },
      { kind: 'repository', entry: 'folder' },
    );
    // The socket is a device path, not something of the repository.
    assert.equal(
      service(tig, 'telegraf').mounts.find((m) => m.target === '/var/run/docker.sock')?.origin,
      undefined,
    );
  });

  it('keeps a folder that is not in the repository as a data folder of the deployment', async () => {
    const chirpstack = await deploymentOf('chirpstack');
    const devices = service(chirpstack, 'chirpstack').mounts.find(
      (m) => m.target === '/opt/lorawan-devices',
    );
    assert.deepEqual(devices?.origin, {
      kind: 'data',
      path: 'chirpstack/stacks/chirpstack/lorawan-devices',
    });
    assert.equal(devices?.readOnly, false);
  });

  it('honours container names, port ranges, profiles, macvlan addresses and named networks', async () => {
    const edgex = await deploymentOf('edgex-core');
    assert.equal(service(edgex, 'core-data').containerName, 'edgex-core-data');
    const tb = await deploymentOf('thingsboard-ce');
    assert.equal(service(tb, 'mytb').ports.filter((p) => p.protocol === 'udp').length, 6);
    const klipper = await deploymentOf('klipper');
    assert.ok(!klipper.services.some((s) => s.name === 'webcam'), 'a profile not enabled');
    const pihole = await deploymentOf('pihole-macvlan');
    assert.equal(pihole.networks.find((n) => n.name === 'lan')?.driver, 'macvlan');
    assert.equal(service(pihole, 'pihole').endpoints?.lan?.ipv4Address, '192.168.1.199');
    const normalised = await deploymentOf('compose-config-output');
    assert.equal(
      normalised.networks.find((n) => n.name === 'default')?.engineName,
      'telemetry_default',
    );
  });

  it('names the images of services that only build after the fleet registry', async () => {
    const balena = await deploymentOf('balena-multicontainer');
    assert.equal(
      service(balena, 'frontend').image,
      'registry.example.com/plant/balena-multicontainer-frontend',
    );
  });

  it('passes device variables through to services that name them without a value', async () => {
    const deconz = await deploymentOf('deconz');
    assert.equal(service(deconz, 'deconz').environment.TZ, 'Europe/Vienna');
  });
});
