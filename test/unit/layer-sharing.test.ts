// ferry analyze's arithmetic: shared and unique bytes by chain ID, and its warnings.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeSharing, type ServiceImage } from '../../builder/src/analyze/layer-sharing.js';

const MiB = 1024 * 1024;
const layer = (id: string, size: number) => ({
  digest: `sha256:${id.repeat(64).slice(0, 64)}`,
  diffId: `sha256:${id.repeat(64).slice(0, 64)}`,
  size,
  mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
});
const runtime = layer('a', 10 * MiB);

describe('analyzeSharing', () => {
  it('counts a layer shared only when everything beneath it is the same', () => {
    const images: ServiceImage[] = [
      { service: 'core', image: 'r/core', layers: [runtime, layer('b', 100)] },
      { service: 'ui', image: 'r/ui', layers: [runtime, layer('c', 200)] },
      // Same top layer content as core's, on another base: a different chain, not shared.
      { service: 'odd', image: 'r/odd', layers: [layer('d', 2 * MiB), layer('b', 100)] },
    ];
    const result = analyzeSharing(images);
    assert.deepEqual(
      result.services.map((s) => [s.service, s.bytes, s.sharedBytes, s.uniqueBytes]),
      [
        ['core', 10 * MiB + 100, 10 * MiB, 100],
        ['ui', 10 * MiB + 200, 10 * MiB, 200],
        ['odd', 2 * MiB + 100, 0, 2 * MiB + 100],
      ],
    );
    assert.equal(result.deviceBytes, 10 * MiB + 100 + 200 + 2 * MiB + 100);
    assert.equal(result.unsharedBytes, 2 * (10 * MiB) + 100 + 200 + 2 * MiB + 100);
    assert.deepEqual(
      result.sharedLayers.map((l) => l.services),
      [['core', 'ui']],
    );
    assert.deepEqual(result.warnings, [
      'odd: shares no layer with the other services (2.0 MiB of its own); a common base would save that on every device',
    ]);
  });

  it('warns about a squashed image and about different versions of one base', () => {
    const result = analyzeSharing([
      { service: 'core', image: 'r/core', base: 'r/runtime:1', layers: [runtime, layer('b', 1)] },
      {
        service: 'ui',
        image: 'r/ui',
        base: 'r/runtime:2',
        layers: [layer('e', 10 * MiB), layer('c', 1)],
      },
      { service: 'fat', image: 'r/fat', layers: [layer('f', 12 * MiB)] },
    ]);
    assert.match(
      result.warnings[0]!,
      /^fat: one 12\.0 MiB layer shared with no other service looks squashed/,
    );
    assert.match(
      result.warnings[1]!,
      /^services build on different versions of r\/runtime \(core FROM r\/runtime:1; ui FROM r\/runtime:2\)/,
    );
  });

  it('does not call a small single-layer image squashed, nor warn for a single service', () => {
    assert.deepEqual(
      analyzeSharing([{ service: 'tool', image: 'r/t', layers: [layer('9', 500_000)] }]).warnings,
      [],
    );
    assert.deepEqual(
      analyzeSharing([{ service: 'big', image: 'r/b', layers: [runtime, layer('1', 1)] }]).warnings,
      [],
    );
  });
});
