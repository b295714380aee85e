// One `ferry build` for linux/amd64 and linux/arm64 (arm64 under qemu on this machine) gives one
// index; an arm64 gateway runs the arm64 image and an amd64 gateway the amd64 one.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { BuildReport } from '../../builder/src/pipeline/build-fleet.js';
import { parseImageReference } from '#kernel/oci/image-reference.js';
import type { ImageIndex } from '#kernel/oci/media-types.js';
import { RegistryClient } from '#kernel/oci/registry-client.js';
import {
  cleanDevice,
  deviceContainers,
  ferrydConfig,
  ferrydOnce,
  fleetYaml,
  uniqueDevice,
  writeFleet,
} from '../helpers/ferryd-harness.js';
import { eventually } from '../helpers/eventually.js';
import { createFleetRepo, type FleetRepo } from '../helpers/fleet-repo.js';
import { multiArchBase } from '../helpers/multiarch-base.js';
import { repoRoot, runCli } from '../helpers/run-cli.js';
import { testEnv } from '../helpers/test-env.js';

const exec = promisify(execFile);
const arm = uniqueDevice('arm');
const amd = uniqueDevice('amd');
let repo: FleetRepo;
after(async () => {
  await cleanDevice(arm);
  await cleanDevice(amd);
  await repo?.remove();
});

async function containerOutput(device: string): Promise<string> {
  const container = (await deviceContainers(device)).get(`${device}.probe.probe`);
  assert.ok(container, `no probe container on ${device}`);
  return eventually('the probe output', async () => {
    const logs = (await exec('docker', ['logs', container.id])).stdout;
    return logs.trim() ? logs : undefined;
  });
}

describe('ferry build for two platforms', () => {
  it('pushes one amd64 + arm64 index, and each gateway runs its own platform', async () => {
    const base = await multiArchBase();
    repo = await createFleetRepo('multiarch', `${repoRoot}/fleet-examples/bms/apps`);
    const image = `${testEnv.registry}/ferry-test/probe-${process.pid}`;
    await writeFleet(repo.workTree, {
      'fleet.yaml': fleetYaml(
        '  - name: probe\n    stack: stacks/probe\n    target: { labels: { role: probe } }\n',
      ),
      [`devices/${arm}.yaml`]: 'labels: { role: probe, arch: arm64 }\n',
      [`devices/${amd}.yaml`]: 'labels: { role: probe }\n',
      'stacks/probe/compose.yaml': [
        'services:',
        '  probe:',
        `    image: ${image}`,
        '    build:',
        '      context: ../../probe',
        `      args: { BASE: "${base}" }`,
        '      platforms: [linux/amd64, linux/arm64]',
        '',
      ].join('\n'),
      'probe/Dockerfile':
        'ARG BASE\nFROM ${BASE}\nRUN uname -m > /arch\nCMD ["sh", "-c", "cat /arch; exec sleep 3600"]\n',
    });
    await repo.commit('probe for two platforms');

    const built = await runCli('ferry', ['build', repo.workTree, '--push', '--commit', '--json'], {
      timeoutMs: 300_000,
    });
    assert.equal(built.code, 0, built.stderr);
    const report = JSON.parse(built.stdout) as BuildReport;
    const probe = report.images[0]!;
    assert.deepEqual(
      probe.platforms.map((p) => p.platform),
      ['linux/amd64', 'linux/arm64'],
    );
    // The RUN layer differs per platform; the registry holds an index naming both.
    const [amdLayers, armLayers] = probe.platforms.map((p) => p.layers.map((l) => l.digest));
    assert.notEqual(amdLayers!.at(-1), armLayers!.at(-1));
    const index = await new RegistryClient().getManifest(parseImageReference(image), probe.digest);
    const body = JSON.parse(index.bytes.toString('utf8')) as ImageIndex;
    assert.deepEqual(
      body.manifests.map((m) => m.platform?.architecture),
      ['amd64', 'arm64'],
    );
    await exec('git', ['push', '--quiet', 'origin', 'main'], { cwd: repo.workTree });

    const armGateway = await ferrydConfig(arm, repo.url);
    const config = armGateway.configFile;
    await exec('sed', [
      '-i',
      `s/device: { id: ${arm} }/device: { id: ${arm}, arch: arm64 }/`,
      config,
    ]);
    const armPass = await ferrydOnce(armGateway);
    assert.equal(armPass.result.code, 0, armPass.result.stdout + armPass.result.stderr);
    assert.equal((await containerOutput(arm)).trim(), 'aarch64');

    const amdPass = await ferrydOnce(await ferrydConfig(amd, repo.url));
    assert.equal(amdPass.result.code, 0, amdPass.result.stdout + amdPass.result.stderr);
    assert.equal((await containerOutput(amd)).trim(), 'x86_64');
  });
});
