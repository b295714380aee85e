// Broken fleets: each must be rejected with a message naming file, line, column and path.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatProblem } from '#kernel/problem.js';
import { validateFleet } from '../../builder/src/validate/validate-fleet.js';
import { fleetFiles, simpleCompose } from '../helpers/fleet-builder.js';
import { MemoryReader } from '../helpers/memory-reader.js';

const good = () =>
  fleetFiles(
    '  - name: app\n    stack: stacks/app\n    target: { labels: { role: gw } }',
    { gw1: 'labels: { role: gw }\n' },
    { 'stacks/app': simpleCompose },
  );

async function problems(files: Record<string, string>): Promise<string[]> {
  const report = await validateFleet(new MemoryReader(files));
  return report.problems.map(
    (p) => formatProblem(p) + (p.devices ? ` [${p.devices.join(',')}]` : ''),
  );
}

describe('ferry validate on broken fleets', () => {
  it('accepts the good fleet', async () => {
    assert.deepEqual(await problems(good()), []);
  });

  it('names an unknown compose key with its line and column, and the key that was meant', async () => {
    const files = {
      ...good(),
      'stacks/app/compose.yaml':
        'services:\n  app:\n    image: r/app:1\n    enviroment: { A: "1" }\n',
    };
    assert.deepEqual(await problems(files), [
      "stacks/app/compose.yaml:4:5 services.app.enviroment: unknown key 'enviroment' (did you mean 'environment'?)",
    ]);
  });

  it('says why a Compose key Ferry refuses is refused, in one short line', async () => {
    const files = {
      ...good(),
      'stacks/app/compose.yaml':
        'services:\n  app:\n    image: r/app:1\n    external_links: [other]\n',
    };
    const [problem = ''] = await problems(files);
    assert.match(
      problem,
      /^stacks\/app\/compose\.yaml:4:5 services\.app\.external_links: links to containers outside the stack/,
    );
    assert.ok(problem.length < 200, 'no list of every supported key');
  });

  it('names an unknown deployment field', async () => {
    const files = {
      ...good(),
      'fleet.yaml': good()['fleet.yaml']!.replace('    target:', '    replicas: 3\n    target:'),
    };
    assert.match(
      (await problems(files))[0] ?? '',
      /^fleet\.yaml:6:5 deployments\[0\]\.replicas: unknown key 'replicas' \(expected one of: name, stack/,
    );
  });

  it('rejects duplicate keys', async () => {
    const files = {
      ...good(),
      'stacks/app/compose.yaml': 'services:\n  app:\n    image: r/app:1\n    image: r/app:2\n',
    };
    assert.match(
      (await problems(files))[0] ?? '',
      /^stacks\/app\/compose\.yaml:4:5 Map keys must be unique/,
    );
  });

  it('rejects an alias bomb without expanding it', async () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i += 1)
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    const files = {
      ...good(),
      'stacks/app/compose.yaml': `x-bomb:\n  ${levels.join('\n  ')}\n${simpleCompose}`,
    };
    assert.match(
      (await problems(files))[0] ?? '',
      /^stacks\/app\/compose\.yaml:1:1 cannot load document: Excessive alias count/,
    );
  });

  it('rejects an oversized file', async () => {
    const files = {
      ...good(),
      'devices/gw1.yaml': `labels: { role: gw }\n# ${'x'.repeat(1024 * 1024)}\n`,
    };
    assert.match(
      (await problems(files))[0] ?? '',
      /^devices\/gw1\.yaml:1:1 file is larger than 1048576 bytes/,
    );
  });

  it('rejects a stack path that leaves the repository', async () => {
    const files = {
      ...good(),
      'fleet.yaml': good()['fleet.yaml']!.replace('stack: stacks/app', 'stack: ../..'),
    };
    assert.match(
      (await problems(files))[0] ?? '',
      /^fleet\.yaml:5:12 deployments\[0\]\.stack: stack '\.\.\/\.\.' is outside the repository/,
    );
  });

  it('rejects an env_file outside the repository and a missing one', async () => {
    const compose =
      'services:\n  app:\n    image: r/app:1\n    env_file: [../../../etc/passwd, missing.env]\n';
    const found = await problems({ ...good(), 'stacks/app/compose.yaml': compose });
    assert.match(
      found[0] ?? '',
      /^stacks\/app\/compose\.yaml:4:16 services\.app\.env_file\[0\]: env file '\.\.\/\.\.\/\.\.\/etc\/passwd' is outside the repository/,
    );
    assert.match(found[1] ?? '', /services\.app\.env_file\[1\]: env file 'missing\.env' not found/);
  });

  it('reads env files inside the repository, environment winning', async () => {
    const compose =
      'services:\n  app:\n    image: r/app:1\n    env_file: app.env\n    environment: { B: from-compose }\n';
    const files = {
      ...good(),
      'stacks/app/compose.yaml': compose,
      'stacks/app/app.env': '# settings\nA=1\nB="2"\nexport C=3\n',
    };
    const { resolveDevice } = await import('#kernel/fleet/resolve-device.js');
    const { load } = await import('../helpers/fleet-builder.js');
    const state = resolveDevice(await load(files), 'gw1').state;
    assert.deepEqual(state?.deployments[0]?.services[0]?.environment, {
      A: '1',
      B: 'from-compose',
      C: '3',
    });
  });

  it('reports bad YAML with its position', async () => {
    const files = { ...good(), 'devices/gw1.yaml': 'labels: { role: gw\n' };
    assert.match((await problems(files))[0] ?? '', /^devices\/gw1\.yaml:\d+:\d+ /);
  });

  it('reports schema type errors and wrong enum values', async () => {
    const compose =
      'services:\n  app:\n    image: r/app:1\n    restart: sometimes\n    privileged: "yes"\n';
    const found = await problems({ ...good(), 'stacks/app/compose.yaml': compose });
    assert.deepEqual(found, [
      "stacks/app/compose.yaml:4:14 services.app.restart: 'sometimes' is not a restart policy (no, always, unless-stopped, on-failure[:N])",
      'stacks/app/compose.yaml:5:17 services.app.privileged: must be a boolean',
    ]);
  });

  it('reports every problem in one run, sorted by line: schema, references and variables', async () => {
    const compose = [
      'services:',
      '  app:',
      '    image: r/app:${TAG}-${FLAVOUR}',
      '    volumes: [data:/data]',
      '    depends_on: { db: { condition: service_healthy, required: true, bogus: 1 } }',
      '    restart: sometimes',
      '',
    ].join('\n');
    const found = await problems({ ...good(), 'stacks/app/compose.yaml': compose });
    assert.deepEqual(found, [
      'stacks/app/compose.yaml:3:12 services.app.image: variable TAG is not set for this device [gw1]',
      'stacks/app/compose.yaml:3:12 services.app.image: variable FLAVOUR is not set for this device [gw1]',
      "stacks/app/compose.yaml:4:15 services.app.volumes[0]: volume 'data' is not declared under top-level 'volumes:' [gw1]",
      "stacks/app/compose.yaml:5:69 services.app.depends_on.db.bogus: unknown key 'bogus' (expected one of: condition, required, restart)",
      "stacks/app/compose.yaml:6:14 services.app.restart: 'sometimes' is not a restart policy (no, always, unless-stopped, on-failure[:N])",
    ]);
  });

  it('names a missing variable and the devices it fails for', async () => {
    const compose = 'services:\n  app:\n    image: r/app:${TAG}\n';
    const files = {
      ...good(),
      'stacks/app/compose.yaml': compose,
      'devices/gw2.yaml': 'labels: { role: gw }\n',
    };
    assert.deepEqual(await problems(files), [
      'stacks/app/compose.yaml:3:12 services.app.image: variable TAG is not set for this device [gw1,gw2]',
    ]);
  });

  it('reports undeclared volumes and networks and unknown dependencies', async () => {
    const compose =
      'services:\n  app:\n    image: r/app:1\n    volumes: ["data:/data"]\n    networks: [backend]\n    depends_on: [db]\n';
    const found = await problems({ ...good(), 'stacks/app/compose.yaml': compose });
    assert.equal(found.length, 3);
    assert.match(found.join('\n'), /volume 'data' is not declared/);
    assert.match(found.join('\n'), /network 'backend' is not declared/);
    assert.match(found.join('\n'), /service 'db' is not in this stack/);
  });

  it('reports a depends_on cycle, naming it', async () => {
    const compose =
      'services:\n  a:\n    image: r/a:1\n    depends_on: [b]\n  b:\n    image: r/b:1\n    depends_on: [a]\n';
    assert.deepEqual(await problems({ ...good(), 'stacks/app/compose.yaml': compose }), [
      'stacks/app/compose.yaml:1:1 services: dependency cycle: a -> b -> a [gw1]',
    ]);
  });

  it('reports duplicate deployment names and a stack without compose.yaml', async () => {
    const fleet = good()['fleet.yaml']!;
    const files = {
      ...good(),
      'fleet.yaml': `${fleet}\n  - name: app\n    stack: stacks/none\n    target: { devices: [gw1] }\n`,
    };
    const found = await problems(files);
    assert.match(
      found.join('\n'),
      /fleet\.yaml:\d+:\d+ deployments\[1\]\.name: deployment name 'app' is used twice/,
    );
    assert.match(
      found.join('\n'),
      /stacks\/none\/compose\.yaml:1:1 no compose\.yaml in stack 'stacks\/none'/,
    );
  });

  it('asks for quotes when a commit id reads as a number', async () => {
    const fleet = good()['fleet.yaml']!.replace(
      '    target:',
      '    rollout: { percent: 10, previous: 12e4567 }\n    target:',
    );
    const found = await problems({ ...good(), 'fleet.yaml': fleet });
    assert.deepEqual(found, [
      'fleet.yaml:6:39 deployments[0].rollout.previous: must be a string (quote the value)',
    ]);
  });

  it('rejects a device label that is not a string, suggesting nothing is silently converted', async () => {
    const files = { ...good(), 'devices/gw1.yaml': 'labels: { role: gw, floor: 1 }\n' };
    assert.deepEqual(await problems(files), [
      'devices/gw1.yaml:1:28 labels.floor: must be a string (quote the value)',
    ]);
  });
});
