import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidInputError } from '#kernel/errors.js';
import { resolveDevice } from '#kernel/fleet/resolve-device.js';
import { rolloutBucket } from '#kernel/fleet/rollout-bucket.js';
import { fleetFiles, load, simpleCompose } from '../helpers/fleet-builder.js';

const deployment = (name: string, target: string, more = '') =>
  `  - name: ${name}\n    stack: stacks/${name}\n    target: ${target}\n${more}`;

describe('targeting', () => {
  const files = fleetFiles(
    [
      deployment('by-labels', '{ labels: { role: gw, site: vienna } }'),
      deployment('by-id', '{ devices: [b] }'),
    ].join('\n'),
    {
      a: 'labels: { role: gw, site: vienna, floor: "1" }',
      b: 'labels: { role: gw, site: graz }',
      c: 'labels: { role: sensor }',
    },
    { 'stacks/by-labels': simpleCompose, 'stacks/by-id': simpleCompose },
  );

  it('takes a device when every target label matches', async () => {
    const fleet = await load(files);
    assert.deepEqual(
      resolveDevice(fleet, 'a').state?.deployments.map((d) => d.name),
      ['by-labels'],
    );
  });

  it('skips a device when one label differs, and takes it by explicit id', async () => {
    const fleet = await load(files);
    assert.deepEqual(
      resolveDevice(fleet, 'b').state?.deployments.map((d) => d.name),
      ['by-id'],
    );
    assert.deepEqual(resolveDevice(fleet, 'c').state?.deployments, []);
  });

  it('adds the facts a device reports about itself (arch, os) to its labels', async () => {
    const fleet = await load(
      fleetFiles(
        deployment('arm-only', '{ labels: { arch: arm64 } }'),
        { a: 'labels: {}' },
        { 'stacks/arm-only': simpleCompose },
      ),
    );
    assert.equal(resolveDevice(fleet, 'a', { arch: 'amd64' }).state?.deployments.length, 0);
    assert.equal(
      resolveDevice(fleet, 'a', { arch: 'arm64', os: 'linux' }).state?.deployments.length,
      1,
    );
    assert.deepEqual(resolveDevice(fleet, 'a', { arch: 'arm64', os: 'linux' }).state?.labels, {
      arch: 'arm64',
      os: 'linux',
    });
  });
});

describe('interpolation from device variables', () => {
  const compose = `services:
  app:
    image: registry.test/app:1
    environment:
      FLOOR: \${FLOOR}
      PORT: \${PORT:-8080}
      ZONE: "\${ZONE:?every device needs a ZONE}"
`;
  const files = (vars: string) =>
    fleetFiles(
      deployment('app', '{ devices: [d] }'),
      { d: `vars: ${vars}` },
      { 'stacks/app': compose },
    );

  it('fills set variables and defaults', async () => {
    const state = resolveDevice(await load(files('{ FLOOR: "2", ZONE: north }')), 'd').state;
    assert.deepEqual(state?.deployments[0]?.services[0]?.environment, {
      FLOOR: '2',
      PORT: '8080',
      ZONE: 'north',
    });
  });

  it('reports a missing variable at its line, for that device', async () => {
    const result = resolveDevice(await load(files('{ ZONE: north }')), 'd');
    assert.equal(result.state, undefined);
    assert.deepEqual(
      result.problems.map((p) => [p.file, p.line, p.path, p.message, p.device]),
      [
        [
          'stacks/app/compose.yaml',
          5,
          'services.app.environment.FLOOR',
          'variable FLOOR is not set for this device',
          'd',
        ],
      ],
    );
  });

  it('reports the message of ${VAR:?message}', async () => {
    const result = resolveDevice(await load(files('{ FLOOR: "1" }')), 'd');
    assert.match(
      result.problems[0]?.message ?? '',
      /ZONE is not set for this device: every device needs a ZONE/,
    );
    assert.equal(result.problems[0]?.line, 7);
  });
});

describe('rollout buckets and previous revisions', () => {
  const newCompose = simpleCompose.replace('MODE: prod', 'MODE: new');
  const devices = Object.fromEntries(
    Array.from({ length: 40 }, (_, i) => [`gw-${i}`, 'labels: { role: gw }']),
  );
  const files = (percent: number, more = '') =>
    fleetFiles(
      deployment(
        'app',
        '{ labels: { role: gw } }',
        `    rollout: { percent: ${percent}, previous: v1${more} }`,
      ),
      devices,
      { 'stacks/app': newCompose },
    );
  const previous = { v1: { 'stacks/app/compose.yaml': simpleCompose } };
  const modes = async (percent: number, more = '') => {
    const fleet = await load(files(percent, more), previous);
    return Object.keys(devices).map((id) => {
      const deployment = resolveDevice(fleet, id).state?.deployments[0];
      return {
        id,
        bucket: deployment?.rollout?.bucket,
        mode: deployment?.services[0]?.environment.MODE,
        revision: deployment?.stackRevision,
      };
    });
  };

  it('keeps every device on `previous` at 0 percent', async () => {
    for (const device of await modes(0))
      assert.deepEqual([device.mode, device.revision], ['prod', 'v1']);
  });

  it('moves every device at 100 percent', async () => {
    for (const device of await modes(100))
      assert.deepEqual([device.mode, device.revision], ['new', 'head']);
  });

  it('moves exactly the devices whose bucket is below 50 at 50 percent', async () => {
    const result = await modes(50);
    for (const device of result) {
      assert.equal(device.bucket, rolloutBucket('app', device.id));
      assert.equal(device.mode, (device.bucket ?? 0) < 50 ? 'new' : 'prod');
    }
    const moved = result.filter((d) => d.mode === 'new').length;
    assert.ok(moved > 5 && moved < 35, `a 50% rollout of 40 devices moved ${moved}`);
  });

  it('paused with rollback, sends every device back to previous', async () => {
    for (const device of await modes(50, ', paused: true, pauseOn: { rollback: true }'))
      assert.deepEqual([device.mode, device.revision], ['prod', 'v1']);
  });

  it('paused, keeps the step, and gives its devices `previous` to fall back on', async () => {
    const fleet = await load(files(50, ', paused: true'), previous);
    const inStep = Object.keys(devices).find((id) => rolloutBucket('app', id) < 50) ?? '';
    const outside = Object.keys(devices).find((id) => rolloutBucket('app', id) >= 50) ?? '';
    const selected = resolveDevice(fleet, inStep);
    assert.equal(selected.state?.deployments[0]?.services[0]?.environment.MODE, 'new');
    assert.equal(selected.state?.deployments[0]?.rollout?.paused, true);
    const fallback = selected.pausedFallbacks?.get('app');
    assert.equal(fallback?.services[0]?.environment.MODE, 'prod');
    assert.equal(fallback?.stackRevision, 'v1');
    assert.equal(resolveDevice(fleet, outside).pausedFallbacks, undefined);
  });

  it('takes the first of `steps` when no percent is written', async () => {
    const fleet = await load(
      fleetFiles(
        deployment(
          'app',
          '{ labels: { role: gw } }',
          '    rollout: { steps: [50, 100], previous: v1 }',
        ),
        devices,
        { 'stacks/app': newCompose },
      ),
      previous,
    );
    for (const id of Object.keys(devices))
      assert.equal(
        resolveDevice(fleet, id).state?.deployments[0]?.services[0]?.environment.MODE,
        rolloutBucket('app', id) < 50 ? 'new' : 'prod',
      );
  });

  it('gives stable buckets spread over 0..99', () => {
    assert.equal(rolloutBucket('app', 'gw-1'), rolloutBucket('app', 'gw-1'));
    const buckets = Array.from({ length: 2000 }, (_, i) => rolloutBucket('app', `gw-${i}`));
    assert.ok(buckets.every((b) => b >= 0 && b < 100));
    assert.ok(
      buckets.filter((b) => b < 10).length > 120 && buckets.filter((b) => b < 10).length < 280,
    );
    assert.notEqual(rolloutBucket('app', 'gw-1'), rolloutBucket('other', 'gw-1') + 1000);
  });

  it('rejects a `previous` revision that does not exist, at its line', async () => {
    await assert.rejects(load(files(50), {}), (error: unknown) => {
      assert.ok(error instanceof InvalidInputError);
      assert.equal(error.problems[0]?.path, 'deployments[0].rollout.previous');
      assert.equal(error.problems[0]?.line, 7);
      assert.match(error.problems[0]?.message ?? '', /revision 'v1' not found/);
      return true;
    });
  });
});

describe('tenant policy', () => {
  const policy = `policy:\n  tenants:\n    acme: { privileged: false, hostNetwork: false, devices: [/dev/ttyUSB0], bindMounts: [/srv/acme] }\n`;
  const resolveWith = async (service: string, tenant = 'acme') => {
    const compose = `services:\n  app:\n    image: registry.test/app:1\n${service}`;
    const files = fleetFiles(
      deployment('app', '{ devices: [d] }', `    tenant: ${tenant}`),
      { d: 'labels: {}' },
      { 'stacks/app': compose },
      policy,
    );
    return resolveDevice(await load(files), 'd');
  };

  it('allows what the policy allows', async () => {
    const result = await resolveWith(
      '    devices: [/dev/ttyUSB0]\n    volumes: ["/srv/acme/data:/data"]\n',
    );
    assert.deepEqual(result.problems, []);
    assert.equal(result.state?.deployments[0]?.services[0]?.containerName, 'acme_app.app');
  });

  it('refuses privileged containers', async () => {
    const result = await resolveWith('    privileged: true\n');
    assert.deepEqual(
      result.problems.map((p) => [p.path, p.message]),
      [['services.app.privileged', "tenant 'acme' may not run privileged containers"]],
    );
  });

  it('refuses the host network', async () => {
    const result = await resolveWith('    network_mode: host\n');
    assert.deepEqual(
      result.problems.map((p) => [p.path, p.line]),
      [['services.app.network_mode', 4]],
    );
  });

  it('refuses devices not listed', async () => {
    const result = await resolveWith('    devices: [/dev/ttyUSB0, /dev/mem]\n');
    assert.deepEqual(
      result.problems.map((p) => [p.path, p.message]),
      [['services.app.devices[1]', "tenant 'acme' may not use device /dev/mem"]],
    );
  });

  it('refuses bind mounts outside the allowed folders, also through ..', async () => {
    const result = await resolveWith(
      '    volumes: ["/etc:/host-etc", "/srv/acme/../../root:/r", "/srv/acmex:/x"]\n',
    );
    assert.deepEqual(
      result.problems.map((p) => p.path),
      ['services.app.volumes[0]', 'services.app.volumes[1]', 'services.app.volumes[2]'],
    );
  });

  it('gives a tenant without a policy entry no host privileges', async () => {
    const result = await resolveWith('    privileged: true\n', 'initech');
    assert.match(result.problems[0]?.message ?? '', /tenant 'initech' may not run privileged/);
  });
});

describe('config hashes', () => {
  const hashOf = async (compose: string) => {
    const files = fleetFiles(
      deployment('app', '{ devices: [d] }'),
      { d: 'labels: {}' },
      { 'stacks/app': compose },
    );
    return resolveDevice(await load(files), 'd').state?.deployments[0]?.services[0]?.configHash;
  };

  it('is equal for equal definitions, whatever the key order or syntax', async () => {
    const a = await hashOf(
      'services:\n  app:\n    image: r/app:1\n    environment: { A: "1", B: "2" }\n',
    );
    const b = await hashOf('services:\n  app:\n    environment: [B=2, A=1]\n    image: r/app:1\n');
    assert.equal(a, b);
  });

  it('changes with the environment and with the image digest', async () => {
    const base = await hashOf(
      'services:\n  app:\n    image: r/app@sha256:' + 'a'.repeat(64) + '\n',
    );
    assert.notEqual(
      base,
      await hashOf('services:\n  app:\n    image: r/app@sha256:' + 'b'.repeat(64) + '\n'),
    );
    assert.notEqual(
      base,
      await hashOf(
        'services:\n  app:\n    image: r/app@sha256:' +
          'a'.repeat(64) +
          '\n    environment: { A: "1" }\n',
      ),
    );
  });

  it('does not change with the build section alone (only a new image recreates)', async () => {
    const plain = await hashOf('services:\n  app:\n    image: r/app:1\n');
    assert.equal(
      plain,
      await hashOf('services:\n  app:\n    image: r/app:1\n    build: ../../apps/app\n'),
    );
  });
});

describe('policy.requirePinnedImages', () => {
  const compose = (image: string) => `services:\n  app:\n    image: ${image}\n`;
  const fleetWith = (image: string, policy: string) =>
    load(
      fleetFiles(
        deployment('site', '{ devices: [a] }'),
        { a: 'labels: {}' },
        { 'stacks/site': compose(image) },
        policy,
      ),
    );

  it('refuses an image given by tag, naming the file, line and field', async () => {
    const fleet = await fleetWith(
      'registry.test/app:1.4',
      'policy: { requirePinnedImages: true }\n',
    );
    const { state, problems } = resolveDevice(fleet, 'a');
    assert.equal(state, undefined);
    assert.deepEqual(
      problems.map((p) => [p.file, p.line, p.path]),
      [['stacks/site/compose.yaml', 3, 'services.app.image']],
    );
    assert.match(
      problems[0]!.message,
      /given by tag, and policy\.requirePinnedImages wants a digest/,
    );
  });

  it('takes an image pinned by digest, with or without its tag', async () => {
    const digest = `sha256:${'b'.repeat(64)}`;
    for (const image of [`registry.test/app@${digest}`, `registry.test/app:1.4@${digest}`]) {
      const fleet = await fleetWith(image, 'policy: { requirePinnedImages: true }\n');
      assert.deepEqual(resolveDevice(fleet, 'a').problems, []);
    }
  });

  it('lets a tag through when the policy is not set', async () => {
    const fleet = await fleetWith('registry.test/app:1.4', '');
    assert.deepEqual(resolveDevice(fleet, 'a').problems, []);
  });
});
