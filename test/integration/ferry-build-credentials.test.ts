// Credentials as Docker finds them: a credential helper named in the Docker config answers for
// the registry that needs auth, both for pushing the built image and for the engine pulling the
// build's base from it. Without it the build fails with the Dockerfile's FROM line named.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeFleet } from '../helpers/ferryd-harness.js';
import { createFleetRepo, type FleetRepo } from '../helpers/fleet-repo.js';
import { docker, pushImage } from '../helpers/images.js';
import { runCli } from '../helpers/run-cli.js';
import { testEnv } from '../helpers/test-env.js';

const { username, password } = testEnv.authRegistryUser;
const base = `${testEnv.authRegistry}/ferry-test/base-${process.pid}`;
let repo: FleetRepo;
let home: string;
let helperLog: string;

before(async () => {
  // The base exists only in the auth registry: the engine must pull it with credentials.
  await docker.getImage(testEnv.baseImage).tag({ repo: base, tag: '1' });
  await pushImage(`${base}:1`, { username, password, serveraddress: testEnv.authRegistry });
  await docker.getImage(`${base}:1`).remove();

  home = await mkdtemp(join(tmpdir(), 'ferry-creds-'));
  helperLog = join(home, 'helper.log');
  const helper = join(home, 'docker-credential-ferrytest');
  await writeFile(
    helper,
    `#!/bin/sh\nread host\necho "$1 $host" >> ${helperLog}\n` +
      `[ "$host" = "${testEnv.authRegistry}" ] || { echo "credentials not found in native keychain"; exit 1; }\n` +
      `printf '{"ServerURL":"%s","Username":"${username}","Secret":"${password}"}' "$host"\n`,
  );
  await chmod(helper, 0o755);
  await writeFile(
    join(home, 'config.json'),
    JSON.stringify({ credHelpers: { [testEnv.authRegistry]: 'ferrytest' } }),
  );

  repo = await createFleetRepo('creds', await mkdtemp(join(tmpdir(), 'ferry-creds-fleet-')));
  await writeFleet(repo.workTree, {
    'fleet.yaml':
      'apiVersion: ferry/v1\nkind: Fleet\ndeployments:\n  - { name: app, stack: stacks/app, target: { devices: [gw] } }\n',
    'devices/gw.yaml': 'labels: {}\n',
    'stacks/app/compose.yaml': `services:\n  app:\n    image: ${testEnv.authRegistry}/creds-${process.pid}/app\n    build: ../../apps/app\n`,
    'apps/app/Dockerfile': `FROM ${base}:1\nCOPY hello.txt /hello.txt\nCMD ["cat", "/hello.txt"]\n`,
    'apps/app/hello.txt': 'hello\n',
  });
  await repo.commit('app behind an auth registry');
});

after(async () => {
  await repo?.remove();
  if (home) await rm(home, { recursive: true, force: true });
  await docker
    .getImage(`${base}:1`)
    .remove()
    .catch(() => undefined);
});

describe('ferry build with a credential helper', () => {
  it('fails with the FROM line named when nothing gives credentials', async () => {
    const result = await runCli('ferry', ['build', repo.workTree, '--push'], {
      env: { DOCKER_CONFIG: join(home, 'nowhere') },
      timeoutMs: 120_000,
    });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^ferry: apps\/app\/Dockerfile:1: FROM .*base-\d+:1: .*(auth|credentials|denied)/im,
    );
  });

  it('pulls the base and pushes the image with what the helper answers, never printing the secret', async () => {
    const result = await runCli('ferry', ['build', repo.workTree, '--push', '--json'], {
      env: { DOCKER_CONFIG: home, PATH: `${home}:${process.env.PATH}` },
      timeoutMs: 120_000,
    });
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { images: { digest: string }[] };
    assert.match(report.images[0]!.digest, /^sha256:[0-9a-f]{64}$/);
    const asked = await readFile(helperLog, 'utf8');
    assert.match(asked, new RegExp(`^get ${testEnv.authRegistry.replace(/\./g, '\\.')}$`, 'm'));
    assert.doesNotMatch(result.stdout + result.stderr, new RegExp(password));
  });
});
