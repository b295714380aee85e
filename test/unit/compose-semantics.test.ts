// Compose semantics across a stack and across deployments: names a device must not see twice,
// .env defaults, variables passed through, profiles, links, restart with a dependency, and what a
// stack may ship from the repository.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { InvalidInputError } from '#kernel/errors.js';
import { resolveDevice } from '#kernel/fleet/resolve-device.js';
import { readShipped } from '#kernel/fleet/shipped-files.js';
import { DirectoryReader } from '#kernel/source/directory-reader.js';
import { fleetFiles, load } from '../helpers/fleet-builder.js';
import { MemoryReader } from '../helpers/memory-reader.js';

const to = (name: string, extra = '') =>
  `  - name: ${name}\n    stack: stacks/${name}\n    target: { devices: [d] }\n${extra}`;

async function resolve(
  stacks: Record<string, string>,
  device = 'labels: {}',
  more: Record<string, string> = {},
) {
  const names = Object.keys(stacks);
  const files = {
    ...fleetFiles(
      names.map((n) => to(n)).join('\n'),
      { d: device },
      Object.fromEntries(names.map((n) => [`stacks/${n}`, stacks[n]!])),
    ),
    ...more,
  };
  return resolveDevice(await load(files), 'd');
}

describe('names unique on a device', () => {
  it('refuses one container_name claimed by two deployments, naming both', async () => {
    const stack = 'services:\n  broker:\n    image: r/mosquitto:2\n    container_name: mosquitto\n';
    const { problems } = await resolve({ home: stack, plant: stack });
    assert.deepEqual(
      problems.map((p) => `${p.file} ${p.path}: ${p.message}`),
      [
        'stacks/home/compose.yaml services.broker.container_name: container mosquitto is also claimed by deployment plant on this device',
        'stacks/plant/compose.yaml services.broker.container_name: container mosquitto is also claimed by deployment home on this device',
      ],
    );
  });

  it('lets deployments share a network when all but one join it as external', async () => {
    const owner =
      'services:\n  proxy:\n    image: r/traefik:2\n    networks: [proxy]\nnetworks:\n  proxy: { name: proxy }\n';
    const joiner =
      'services:\n  app:\n    image: r/app:1\n    networks: [proxy]\nnetworks:\n  proxy: { external: true }\n';
    assert.deepEqual((await resolve({ edge: owner, app: joiner })).problems, []);
    const twice = await resolve({
      edge: owner,
      other: owner.replace('proxy:\n    image', 'proxy2:\n    image'),
    });
    assert.match(twice.problems[0]?.message ?? '', /network proxy is also claimed by deployment/);
  });
});

describe('older Compose files', () => {
  it('reads external: { name: NAME } as an external network or volume of that name', async () => {
    const stack =
      'version: "2.4"\nservices:\n  app:\n    image: r/app:1\n    networks: [web]\n    volumes: [certs:/certs]\nnetworks:\n  web:\n    external:\n      name: traefik_proxy\nvolumes:\n  certs:\n    external: { name: acme-certs }\n';
    const deployment = (await resolve({ app: stack })).state?.deployments[0];
    assert.deepEqual(
      deployment?.networks.map((n) => [n.engineName, n.external]),
      [['traefik_proxy', true]],
    );
    assert.deepEqual(
      deployment?.volumes.map((v) => [v.engineName, v.external]),
      [['acme-certs', true]],
    );
  });
});

describe('variables', () => {
  it("takes the stack's .env as defaults below the device's vars", async () => {
    const stack =
      'services:\n  db:\n    image: r/influxdb:${TAG}\n    environment: { USER: "${DB_USER}" }\n';
    const { state } = await resolve({ tig: stack }, 'vars: { TAG: "1.8" }', {
      'stacks/tig/.env': 'TAG=1.7\nDB_USER=admin\n',
    });
    const db = state?.deployments[0]?.services[0];
    assert.equal(db?.image, 'r/influxdb:1.8');
    assert.equal(db?.environment.USER, 'admin');
  });

  it('passes a variable through when the service names it without a value, and says when the device has none', async () => {
    const stack = 'services:\n  app:\n    image: r/app:1\n    environment: [TZ, SITE]\n';
    const { problems } = await resolve({ app: stack }, 'vars: { TZ: Europe/Vienna }');
    assert.deepEqual(
      problems.map((p) => p.message),
      [
        "'SITE' has no value here and the device has no variable SITE (vars: in its devices/ file) to pass through",
      ],
    );
    const { state } = await resolve({ app: stack }, 'vars: { TZ: Europe/Vienna, SITE: plant-3 }');
    assert.deepEqual(state?.deployments[0]?.services[0]?.environment, {
      TZ: 'Europe/Vienna',
      SITE: 'plant-3',
    });
  });
});

describe('services across a stack', () => {
  it('leaves out services of profiles not enabled, and a dependency on one that is not required', async () => {
    const stack =
      'services:\n  app:\n    image: r/app:1\n    depends_on: { debug: { condition: service_started, required: false } }\n  debug:\n    image: r/debug:1\n    profiles: [debug]\n';
    const { state, problems } = await resolve({ app: stack });
    assert.deepEqual(problems, []);
    assert.deepEqual(
      state?.deployments[0]?.services.map((s) => s.name),
      ['app'],
    );
    const files = fleetFiles(
      to('app', '    profiles: [debug]\n'),
      { d: 'labels: {}' },
      { 'stacks/app': stack },
    );
    const withDebug = resolveDevice(await load(files), 'd').state;
    assert.deepEqual(withDebug?.deployments[0]?.services.map((s) => s.name).sort(), [
      'app',
      'debug',
    ]);
  });

  it('gives a linked service its alias on its networks and starts it first', async () => {
    const stack =
      'services:\n  web:\n    image: r/web:1\n    links: ["db:database"]\n  db:\n    image: r/db:1\n';
    const services = (await resolve({ app: stack })).state?.deployments[0]?.services ?? [];
    const db = services.find((s) => s.name === 'db');
    assert.deepEqual(db?.endpoints, { default: { aliases: ['database'] } });
    assert.deepEqual(services.find((s) => s.name === 'web')?.dependsOn, [
      { service: 'db', condition: 'service_started' },
    ]);
  });

  it('changes the config hash of a service with restart: true when its dependency changes, and only then', async () => {
    const stack = (dbTag: string, webTag: string) =>
      `services:\n  web:\n    image: r/web:${webTag}\n    depends_on: { db: { condition: service_started, restart: true } }\n  db:\n    image: r/db:${dbTag}\n  other:\n    image: r/other:1\n    depends_on: [db]\n`;
    const hashes = async (dbTag: string) =>
      Object.fromEntries(
        ((await resolve({ app: stack(dbTag, '1') })).state?.deployments[0]?.services ?? []).map(
          (s) => [s.name, s.configHash],
        ),
      );
    const one = await hashes('1');
    const two = await hashes('2');
    assert.notEqual(one.web, two.web);
    assert.equal(one.other, two.other, 'a plain dependency does not recreate');
  });
});

describe('what a stack ships from the repository', () => {
  it('refuses a source outside the repository, and names what is not in it', async () => {
    const stack =
      'services:\n  app:\n    image: r/app:1\n    volumes: ["../../../etc:/etc-host"]\n    configs: [conf]\nconfigs:\n  conf: { file: ./missing.conf }\n';
    const problems = await load(
      fleetFiles(to('app'), { d: 'labels: {}' }, { 'stacks/app': stack }),
    ).then(
      () => [],
      (error: InvalidInputError) => error.problems,
    );
    assert.deepEqual(problems.map((p) => `${p.path}: ${p.message}`).sort(), [
      "configs.conf.file: './missing.conf' is not in the repository",
      "services.app.volumes[0]: '../../../etc' is outside the repository",
    ]);
  });

  it('refuses a symlink, and names content by digest: the same bytes, the same digest', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ferry-ship-'));
    await mkdir(join(root, 'conf'), { recursive: true });
    await writeFile(join(root, 'conf', 'a.conf'), 'a = 1\n');
    await writeFile(join(root, 'conf', 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    const reader = new DirectoryReader(root);
    const first = await readShipped(reader, 'conf');
    assert.equal(first?.kind, 'folder');
    assert.deepEqual(
      first?.files.map((f) => [f.path, f.executable]),
      [
        ['a.conf', false],
        ['run.sh', true],
      ],
    );
    const same = await readShipped(
      new MemoryReader({ 'conf/a.conf': 'a = 1\n', 'conf/run.sh': '#!/bin/sh\n' }),
      'conf',
    );
    assert.equal(same?.digest, first?.digest);
    await writeFile(join(root, 'conf', 'a.conf'), 'a = 2\n');
    assert.notEqual((await readShipped(reader, 'conf'))?.digest, first?.digest);
    await symlink('/etc/passwd', join(root, 'conf', 'passwd'));
    await assert.rejects(readShipped(reader, 'conf'), /conf\/passwd: a symlink/);
  });

  it('bounds what one entry may ship', async () => {
    const files = Object.fromEntries(
      Array.from({ length: 5 }, (_, i) => [`big/f${i}`, 'x'.repeat(100)]),
    );
    const reader = new MemoryReader(files);
    await assert.rejects(
      readShipped(reader, 'big', { fileBytes: 1000, entryBytes: 250, files: 100 }),
      /more than 250 bytes/,
    );
    await assert.rejects(
      readShipped(reader, 'big', { fileBytes: 1000, entryBytes: 10_000, files: 3 }),
      /more than 3 files/,
    );
    await assert.rejects(
      readShipped(reader, 'big/f0', { fileBytes: 50, entryBytes: 10_000, files: 3 }),
      /larger than 50 bytes/,
    );
  });
});
