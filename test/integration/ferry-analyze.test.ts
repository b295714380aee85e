// `ferry analyze` reads a stack's images from the real registry and reports what they share.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { StackAnalysis } from '../../builder/src/analyze/analyze-stack.js';
import { fleetYaml, writeFleet } from '../helpers/ferryd-harness.js';
import { runCli } from '../helpers/run-cli.js';
import { testEnv } from '../helpers/test-env.js';
import { incompressible, pushSyntheticImage } from '../helpers/synthetic-images.js';

let dir: string;
after(async () => dir && rm(dir, { recursive: true, force: true }));

describe('ferry analyze', () => {
  it('reports shared and unique bytes, and warns about a squashed image and split bases', async () => {
    const tag = `a-${process.pid}`;
    const runtime = { files: { 'opt/runtime.bin': incompressible(400_000) } };
    const core = await pushSyntheticImage({
      repository: 'ferry-test/an-core',
      tag,
      layers: [runtime, { files: { 'app/core': 'core v1' } }],
    });
    const ui = await pushSyntheticImage({
      repository: 'ferry-test/an-ui',
      tag,
      layers: [runtime, { files: { 'app/ui': 'ui v1' } }],
    });
    const fat = await pushSyntheticImage({
      repository: 'ferry-test/an-fat',
      tag,
      withoutBase: true,
      layers: [{ files: { 'everything.bin': incompressible(1_300_000) } }],
    });
    dir = await mkdtemp(join(tmpdir(), 'ferry-analyze-'));
    await writeFleet(dir, {
      'fleet.yaml': fleetYaml(
        '  - name: gw\n    stack: stacks/gw\n    target: { devices: [g1] }\n',
      ),
      'stacks/gw/compose.yaml': [
        'services:',
        `  core: { image: "${core.reference}", build: ../../apps/core }`,
        `  ui: { image: "${ui.reference}", build: ../../apps/ui }`,
        `  fat: { image: "${fat.reference}" }`,
        '',
      ].join('\n'),
      'apps/core/Dockerfile': 'FROM reg.example/runtime:1\n',
      'apps/ui/Dockerfile': 'ARG RT=reg.example/runtime:2\nFROM $RT\n',
    });

    const json = await runCli('ferry', ['analyze', dir, '--stack', 'gw', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const analysis = JSON.parse(json.stdout) as StackAnalysis;
    const base = core.layers[0]!.size + core.layers[1]!.size;
    const byName = new Map(analysis.services.map((s) => [s.service, s]));
    assert.equal(byName.get('core')?.sharedBytes, base);
    assert.equal(byName.get('core')?.uniqueBytes, core.layers[2]!.size);
    assert.equal(byName.get('fat')?.sharedBytes, 0);
    assert.equal(
      analysis.deviceBytes,
      base + core.layers[2]!.size + ui.layers[2]!.size + fat.layers[0]!.size,
    );
    assert.equal(analysis.sharedLayers.length, 2);
    assert.equal(analysis.warnings.length, 2);
    assert.match(analysis.warnings[0]!, /^fat: one 1\.2 MiB layer .* looks squashed/);
    assert.match(analysis.warnings[1]!, /different versions of reg\.example\/runtime/);

    const text = await runCli('ferry', ['analyze', dir, '--stack', 'gw']);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /sharing saves/);
    assert.match(text.stdout, /! fat: one 1\.2 MiB layer/);

    const missing = await runCli('ferry', ['analyze', dir, '--stack', 'nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no stack 'nope' .* \(stacks: gw\)/);
  });

  it('exits 1 and says to build first when an image cannot be read', async () => {
    const unbuilt = await mkdtemp(join(tmpdir(), 'ferry-analyze-unbuilt-'));
    await writeFleet(unbuilt, {
      'fleet.yaml': fleetYaml(
        '  - name: gw\n    stack: stacks/gw\n    target: { devices: [g1] }\n',
      ),
      'stacks/gw/compose.yaml': `services:\n  app:\n    image: ${testEnv.registry}/ferry-test/never-built:${process.pid}\n`,
    });
    const result = await runCli('ferry', ['analyze', unbuilt, '--stack', 'gw']);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /1 service image\(s\) could not be read; build and push them first/,
    );
    await rm(unbuilt, { recursive: true, force: true });
  });
});
