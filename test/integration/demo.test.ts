// `npm run demo` (dist/demo/run-demo.js), run as the README says, twice: three gateways converge
// and, after a code change, each downloads exactly the changed layer (checked here against the
// registry's own manifests), and a second run works on the first one's leftovers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseImageReference } from '#kernel/oci/image-reference.js';
import type { ImageManifest } from '#kernel/oci/media-types.js';
import { RegistryClient } from '#kernel/oci/registry-client.js';
import { runScript } from '../helpers/run-cli.js';

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
  for (const run of ['first', 'second'])
    it(`${run} run: every gateway downloads exactly the changed layer`, async () => {
      const result = await runDemo();
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /every gateway downloaded exactly the changed layer: yes/);
      const summary = JSON.parse(result.stdout.trim().split('\n').at(-2)!) as DemoSummary;
      const [before, after] = await Promise.all(summary.collector.map(layerSizes));
      const added = [...after!].filter(([digest]) => !before!.has(digest));
      assert.equal(added.length, 1);
      assert.equal(summary.changedLayerBytes, added[0]![1]);
      assert.deepEqual(
        summary.devices.map((d) => [d.device, d.updateBytes, d.converged]),
        ['floor-0', 'floor-1', 'floor-2'].map((d) => [d, added[0]![1], true]),
      );
    });
});
