// A hostile tenant against a running ferryd: what its containers can reach on the host is what its
// policy grants, checked on the device where the engine mounts it.
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readlink, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
let hostDir: string;
before(async () => {
  image = await pushWebAppImage();
  hostDir = await mkdtemp(join(tmpdir(), 'ferry-tenant-host-'));
});
after(async () => {
  await rm(hostDir, { recursive: true, force: true });
});

const policy = (folder: string) => `policy:\n  tenants:\n    acme: { bindMounts: [${folder}] }\n`;

async function tenantFleet(device: string, folder: string) {
  const repo = await createFleetRepo('tenant', `${repoRoot}/fleet-examples/bms/apps`);
  await writeFleet(repo.workTree, {
    'fleet.yaml':
      fleetYaml(
        `  - name: svc\n    stack: stacks/svc\n    tenant: acme\n    target: { devices: [${device}] }\n`,
      ) + policy(folder),
  });
  return repo;
}

const service = (volume: string, command: string, more = '') =>
  `services:\n  app:\n    image: ${image}\n    command: ["sh", "-c", "${command}"]\n    volumes: ["${volume}"]\n${more}`;

function waitForLink(path: string): Promise<string> {
  return eventually(`the link ${path}`, async () =>
    (await lstat(path)).isSymbolicLink() ? readlink(path) : undefined,
  );
}

describe('a tenant cannot leave its bind folder through a symlink it planted', () => {
  const device = uniqueDevice('tenant-link');
  let repo: FleetRepo;
  let setup: FerrydSetup;
  let folder: string;
  before(async () => {
    folder = join(hostDir, 'srv-acme');
    await mkdir(folder, { recursive: true });
    repo = await tenantFleet(device, folder);
    setup = await ferrydConfig(device, repo.url);
  });
  after(async () => {
    await cleanDevice(device);
    await repo?.remove();
  });

  it('refuses the commit that mounts the planted link, and keeps the running container', async () => {
    // Commit 1, allowed: the tenant's container plants /srv/acme/escape -> / from inside.
    await writeFleet(repo.workTree, {
      'stacks/svc/compose.yaml': service(
        `${folder}:/data`,
        'ln -sfn / /data/escape && exec httpd -f -p 8080 -h /www',
      ),
    });
    await repo.commit('plant');
    assert.equal((await ferrydOnce(setup)).result.code, 0);
    assert.equal(await waitForLink(join(folder, 'escape')), '/');
    const planted = (await deviceContainers(device)).get(`${device}.acme_svc.app`);
    assert.equal(planted?.state, 'running');

    // Commit 2: the path string is inside the folder, the real path is the host's root.
    await writeFleet(repo.workTree, {
      'stacks/svc/compose.yaml': service(
        `${folder}/escape/etc:/host-etc:ro`,
        'exec httpd -f -p 8080 -h /www',
      ),
    });
    const commit = await repo.commit('escape');
    const { result, report } = await ferrydOnce(setup);
    assert.equal(result.code, 1, result.stdout);
    assert.equal(report.rejected?.revision, commit);
    const problem = report.rejected?.problems[0];
    assert.equal(problem?.file, 'stacks/svc/compose.yaml');
    assert.equal(problem?.path, 'services.app.volumes[0]');
    assert.equal(problem?.line, 5);
    assert.match(problem?.message ?? '', /resolves to \/etc, outside/);
    const after = (await deviceContainers(device)).get(`${device}.acme_svc.app`);
    assert.equal(after?.id, planted?.id, 'the running container is kept');
    assert.equal(after?.state, 'running');
  });

  it('mounts a link that stays inside the folder by its real path', async () => {
    await mkdir(join(folder, 'releases/v2'), { recursive: true });
    await symlink('releases/v2', join(folder, 'current'));
    await writeFleet(repo.workTree, {
      'stacks/svc/compose.yaml': service(
        `${folder}/current:/data`,
        'exec httpd -f -p 8080 -h /www',
      ),
    });
    await repo.commit('current');
    const { result } = await ferrydOnce(setup);
    assert.equal(result.code, 0, result.stdout);
    const app = (await deviceContainers(device)).get(`${device}.acme_svc.app`);
    const mounts = (await docker.getContainer(app!.id).inspect()).Mounts;
    assert.deepEqual(
      mounts.map((m) => [m.Source, m.Destination]),
      [[join(folder, 'releases/v2'), '/data']],
    );
  });
});

describe('a tenant gets only the privileges its policy grants', () => {
  const device = uniqueDevice('tenant-caps');
  let repo: FleetRepo;
  let setup: FerrydSetup;
  before(async () => {
    const folder = join(hostDir, 'srv-caps');
    await mkdir(folder, { recursive: true });
    repo = await tenantFleet(device, folder);
    setup = await ferrydConfig(device, repo.url);
    await writeFleet(repo.workTree, {
      'stacks/svc/compose.yaml': service(`${folder}:/data`, 'exec httpd -f -p 8080 -h /www'),
    });
    await repo.commit('plain');
    assert.equal((await ferrydOnce(setup)).result.code, 0);
  });
  after(async () => {
    await cleanDevice(device);
    await repo?.remove();
  });

  it('refuses capabilities, sysctls, host ports and remote logging, all in one report', async () => {
    const before = (await deviceContainers(device)).get(`${device}.acme_svc.app`);
    await writeFleet(repo.workTree, {
      'stacks/svc/compose.yaml': service(
        `${join(hostDir, 'srv-caps')}:/data`,
        'exec httpd -f -p 8080 -h /www',
        [
          '    cap_add: [SYS_ADMIN]',
          '    sysctls: { net.ipv4.ip_forward: "1" }',
          '    ports: ["8080:8080"]',
          '    logging: { driver: syslog, options: { syslog-address: "udp://192.0.2.1:514" } }',
          '',
        ].join('\n'),
      ),
    });
    await repo.commit('privileges');
    const { result, report } = await ferrydOnce(setup);
    assert.equal(result.code, 1);
    assert.deepEqual(report.rejected?.problems.map((p) => [p.path, p.line]).sort(), [
      ['services.app.cap_add[0]', 6],
      ['services.app.logging.driver', 9],
      ['services.app.ports[0]', 8],
      ['services.app.sysctls["net.ipv4.ip_forward"]', 7],
    ]);
    const now = (await deviceContainers(device)).get(`${device}.acme_svc.app`);
    assert.equal(now?.id, before?.id);
    assert.equal(now?.state, 'running');
  });
});
