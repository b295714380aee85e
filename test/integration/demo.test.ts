// `npm run demo` (dist/demo/run-demo.js), run as the README says, twice at once on one engine:
// in each, three gateways converge and, after a code change, each downloads exactly the changed
// layer (checked here against the registry's own manifests); the runs share no names.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { parseImageReference } from '#kernel/oci/image-reference.js';
import type { ImageManifest } from '#kernel/oci/media-types.js';
import { RegistryClient } from '#kernel/oci/registry-client.js';
import { runScript } from '../helpers/run-cli.js';

const exec = promisify(execFile);

interface DemoSummary {
  readonly changedLayerBytes: number;
  readonly collector: readonly string[];
  readonly devices: readonly { device: string; updateBytes: number; converged: boolean }[];
}

function runDemo() {
  return runScript('dist/demo/run-demo.js', ['--json'], { timeoutMs: 300_000 });
}

async function layerSizes(reference: string): Promise<Map<string, number>> {
  const ref = parseImageReference(reference);
  const manifest = await new RegistryClient().getManifest(ref, ref.digest!);
  const body = JSON.parse(manifest.bytes.toString('utf8')) as ImageManifest;
  return new Map(body.layers.map((l) => [l.digest, l.size]));
}

describe('the demo', () => {
  it('two runs at once on one engine: each gateway downloads exactly the changed layer', async () => {
    // Two terminals (or two CI jobs) on one engine: each run names its own devices, ports and
    // repository, so neither touches the other's gateways.
    const results = await Promise.all([runDemo(), runDemo()]);
    const names: string[] = [];
    for (const result of results) {
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /every gateway downloaded exactly the changed layer: yes/);
      const summary = JSON.parse(result.stdout.trim().split('\n').at(-2)!) as DemoSummary;
      const [before, after] = await Promise.all(summary.collector.map(layerSizes));
      const added = [...after!].filter(([digest]) => !before!.has(digest));
      assert.equal(added.length, 1);
      assert.equal(summary.changedLayerBytes, added[0]![1]);
      const run = /-([0-9a-f]{4})$/.exec(summary.devices[0]?.device ?? '')?.[1];
      assert.deepEqual(
        summary.devices.map((d) => [d.device, d.updateBytes, d.converged]),
        ['floor-0', 'floor-1', 'floor-2'].map((d) => [`${d}-${run}`, added[0]![1], true]),
      );
      names.push(...summary.devices.map((d) => d.device));
    }
    assert.equal(new Set(names).size, 6, 'six gateways, none shared');
    // Each run removed what its gateways made.
    for (const device of names) {
      const left = await exec('docker', ['ps', '-aq', '--filter', `label=ferry.device=${device}`]);
      assert.equal(left.stdout.trim(), '', device);
    }
  });
});
