// `ferry build`'s summary says "pin" only when it pinned: without --push, the digests would name
// images the registry does not have.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatBuild } from '../../builder/src/pipeline/format-build.js';
import type { BuildReport } from '../../builder/src/pipeline/build-fleet.js';

const report = (pushed: boolean): BuildReport => ({
  commit: 'c'.repeat(40),
  pushed,
  images: [],
  pins: [
    {
      file: 'stacks/iot/compose.yaml',
      text: '',
      changes: [{ service: 'web', before: 'r/web:1', after: 'r/web@sha256:' + 'a'.repeat(64) }],
    },
  ],
  upload: pushed ? { uploadedBlobs: 1, uploadedBytes: 10, presentBlobs: 0, mountedBlobs: 0 } : null,
});

describe('formatBuild', () => {
  it('says "would pin" without --push, and "pin" with it', () => {
    assert.match(
      formatBuild(report(false)),
      /^would pin \(with --push\) stacks\/iot\/compose\.yaml web: /m,
    );
    assert.doesNotMatch(formatBuild(report(false)), /^pin /m);
    assert.match(formatBuild(report(true)), /^pin stacks\/iot\/compose\.yaml web: /m);
  });
});
