// `ferry pin` and the validation of images given by tag, against the real registry and git:
// tags become the digests the registry serves (an index for a multi-platform image), only the
// image values change, built and ${VARIABLE} images are left alone, and a fleet that requires
// pinned images refuses the rest with file, line and field.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parseImageReference } from '#kernel/oci/image-reference.js';
import { MEDIA } from '#kernel/oci/media-types.js';
import { RegistryClient } from '#kernel/oci/registry-client.js';
import { pushTestImage, writeFleet } from '../helpers/ferryd-harness.js';
import { createFleetRepo, type FleetRepo } from '../helpers/fleet-repo.js';
import { MULTIARCH_BASE, multiArchBase } from '../helpers/multiarch-base.js';
import { runCli } from '../helpers/run-cli.js';

const exec = promisify(execFile);
const git = async (cwd: string, ...args: string[]) =>
  (await exec('git', args, { cwd })).stdout.trim();

let repo: FleetRepo;
let webTag: string;
let webDigest: string;
let empty: string;

const compose = (web: string) => `# Site services. Comments and layout must survive pinning.
services:
  web:
    image: "${web}" # the kiosk page
    restart: unless-stopped
  agent: { image: ${MULTIARCH_BASE}, command: ["sleep", "3600"] }
  collector:
    image: 127.0.0.1:5101/site/collector
    build: ../../apps/collector
  uploader: { image: 127.0.0.1:5101/site/collector, command: ["upload"] }
  relay:
    image: \${RELAY_IMAGE:-127.0.0.1:5101/site/relay:2}
`;

before(async () => {
  await multiArchBase();
  const pinned = await pushTestImage('ferry-test/kiosk', ['CMD ["sleep", "3600"]']);
  webDigest = pinned.split('@')[1]!;
  const { stdout } = await exec('docker', [
    'image',
    'inspect',
    '--format',
    '{{join .RepoTags " "}}',
    pinned,
  ]);
  webTag = stdout
    .trim()
    .split(' ')
    .find((t) => t.includes('/ferry-test/kiosk:'))!;
  empty = await mkdtemp(join(tmpdir(), 'ferry-pin-'));
  repo = await createFleetRepo('pin', empty);
});
after(async () => {
  await repo?.remove();
  if (empty) await rm(empty, { recursive: true, force: true });
});

describe('ferry pin', () => {
  it('warns about images given by tag, pins them by digest in one commit, then has nothing to pin', async () => {
    await writeFleet(repo.workTree, {
      'fleet.yaml':
        'apiVersion: ferry/v1\nkind: Fleet\ndeployments:\n  - name: site\n    stack: stacks/site\n    target: { labels: { role: site } }\n',
      'devices/site-1.yaml': 'labels: { role: site }\n',
      'stacks/site/compose.yaml': compose(webTag),
      'apps/collector/Dockerfile': 'FROM scratch\n',
    });
    await repo.commit('site fleet');

    const validate = await runCli('ferry', ['validate', repo.workTree]);
    assert.equal(validate.code, 0, validate.stdout);
    assert.match(
      validate.stdout,
      /^stacks\/site\/compose\.yaml:4:12 services\.web\.image: warning: image '.*ferry-test\/kiosk:.*' is given by tag: devices may run different bits under one tag; pin it by digest \(ferry pin\)$/m,
    );
    assert.match(
      validate.stdout,
      /services\.collector\.image: warning: built image .* \(ferry build --push --commit pins it\)/,
    );
    assert.match(
      validate.stdout,
      /services\.uploader\.image: warning: built image .* \(ferry build --push --commit pins it\)/,
    );
    assert.match(validate.stdout, /valid \(1 deployment, 1 device, 5 warnings\)/);

    const pin = await runCli('ferry', ['pin', repo.workTree, '--commit', '--json']);
    assert.equal(pin.code, 0, pin.stderr);
    const result = JSON.parse(pin.stdout) as {
      files: { file: string; changes: { service: string; after: string }[] }[];
      skipped: { service: string; reason: string }[];
      pinCommit: string | null;
    };
    assert.ok(result.pinCommit);
    assert.equal(await git(repo.workTree, 'rev-parse', 'HEAD'), result.pinCommit);
    assert.deepEqual(
      result.skipped.map((s) => s.service),
      ['collector', 'uploader', 'relay'],
    );

    // The agent's tag names a two-platform index: the pin is the index, so arm64 devices keep working.
    const registry = new RegistryClient();
    const index = await registry.getManifest(parseImageReference(MULTIARCH_BASE), '1');
    assert.equal(index.mediaType, MEDIA.ociIndex);
    const text = await readFile(join(repo.workTree, 'stacks/site/compose.yaml'), 'utf8');
    const expected = compose(`${webTag}@${webDigest}`).replace(
      `image: ${MULTIARCH_BASE},`,
      `image: ${MULTIARCH_BASE}@${index.digest},`,
    );
    assert.equal(text, expected);
    assert.equal(await git(repo.workTree, 'status', '--porcelain'), '');
    assert.match(
      await git(repo.workTree, 'log', '-1', '--format=%s'),
      /^ferry: pin 2 images by digest$/,
    );

    const again = await runCli('ferry', ['pin', repo.workTree, '--commit']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^pins: nothing to pin$/m);
    assert.equal(await git(repo.workTree, 'rev-parse', 'HEAD'), result.pinCommit);
  });

  it('refuses images given by tag where the fleet requires pinned images', async () => {
    const fleet = join(repo.workTree, 'fleet.yaml');
    await writeFleet(repo.workTree, {
      'fleet.yaml': `${await readFile(fleet, 'utf8')}policy: { requirePinnedImages: true }\n`,
    });
    const validate = await runCli('ferry', ['validate', repo.workTree]);
    assert.equal(validate.code, 1, validate.stdout);
    assert.match(
      validate.stdout,
      /^stacks\/site\/compose\.yaml:8:12 services\.collector\.image: image '127\.0\.0\.1:5101\/site\/collector' is given by tag, and policy\.requirePinnedImages wants a digest/m,
    );
    assert.match(
      validate.stdout,
      /services\.relay\.image: image '127\.0\.0\.1:5101\/site\/relay:2' is given by tag/,
    );
    assert.doesNotMatch(validate.stdout, /services\.(web|agent)\.image/);
  });
});
