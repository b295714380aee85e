// The builder's pure parts: which base a Dockerfile builds on, pinning digests into compose text
// without touching anything else, and the pin commit's message.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dockerfileStages, finalBaseImage } from '../../builder/src/dockerfile/dockerfile-base.js';
import { pinCompose, pinnedReference, repositoryKey } from '../../builder/src/pin/pin-compose.js';
import { pinMessage } from '../../builder/src/pin/pin-message.js';
import type { BuildReport } from '../../builder/src/pipeline/build-fleet.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

describe('finalBaseImage', () => {
  it('applies global ARG defaults and build args', () => {
    const text = 'ARG BASE=busybox:1.36\nFROM ${BASE}\nCOPY . /app\n';
    assert.equal(finalBaseImage(text), 'busybox:1.36');
    assert.equal(finalBaseImage(text, { BASE: 'ferry-test/busybox:1' }), 'ferry-test/busybox:1');
  });

  it('follows stage names back to an image, and gives undefined for scratch', () => {
    const text = [
      'ARG RUNTIME=reg/runtime',
      'FROM $RUNTIME AS build',
      'RUN make',
      'FROM build AS test',
      'FROM scratch AS empty',
      'FROM --platform=$BUILDPLATFORM test',
      'COPY --from=build /out /app',
    ].join('\n');
    assert.equal(finalBaseImage(text), 'reg/runtime');
    assert.equal(finalBaseImage(text, {}, 'empty'), undefined);
    assert.equal(finalBaseImage(text, {}, 'build'), 'reg/runtime');
  });

  it('handles comments, continuation lines, lower-case keywords and ${VAR:-default}', () => {
    const text = '# syntax\nfrom \\\n  ${TAG:-alpine:3} as base\n';
    assert.deepEqual(dockerfileStages(text), [{ from: 'alpine:3', name: 'base' }]);
    assert.deepEqual(dockerfileStages(text, { TAG: 'x' }), [{ from: 'alpine:3', name: 'base' }]);
  });

  it('uses a build arg only for an ARG declared before the first FROM', () => {
    assert.equal(finalBaseImage('FROM ${BASE:-a}\nARG BASE=b\n', { BASE: 'c' }), 'a');
  });
});

describe('pinCompose', () => {
  const text = [
    '# the collector',
    'services:',
    '  collector:',
    '    image: 127.0.0.1:5101/bms/collector   # pinned by ferry',
    '    build: { context: ../../apps/collector }',
    '  web:',
    `    image: "127.0.0.1:5101/bms/web:1.2@${D1}"`,
    '  other:',
    '    image: ${REGISTRY}/bms/collector',
    '  db: { image: postgres:16 }',
    '',
  ].join('\n');

  it('replaces only the image values it has digests for, keeping comments, quotes and tags', () => {
    const digests = new Map([
      ['127.0.0.1:5101/bms/collector', D2],
      ['127.0.0.1:5101/bms/web', D2],
    ]);
    const { text: out, changes } = pinCompose(text, digests);
    const expected = text
      .replace('127.0.0.1:5101/bms/collector   #', `127.0.0.1:5101/bms/collector@${D2}   #`)
      .replace(`web:1.2@${D1}`, `web:1.2@${D2}`);
    assert.equal(out, expected);
    assert.deepEqual(
      changes.map((c) => c.service),
      ['collector', 'web'],
    );
  });

  it('changes nothing when the pins are already there', () => {
    const once = pinCompose(text, new Map([['127.0.0.1:5101/bms/collector', D2]])).text;
    const twice = pinCompose(once, new Map([['127.0.0.1:5101/bms/collector', D2]]));
    assert.equal(twice.text, once);
    assert.deepEqual(twice.changes, []);
  });

  it('writes the image of a service that builds but names none above its first key', () => {
    const balena = [
      'services:',
      '  frontend:',
      '    build: ./frontend',
      '    expose: ["80"]',
      '',
    ].join('\n');
    const named = (service: string) => `registry.example.com/plant/app-${service}`;
    const { text: out, changes } = pinCompose(
      balena,
      new Map([['registry.example.com/plant/app-frontend', D2]]),
      named,
    );
    assert.equal(
      out,
      [
        'services:',
        '  frontend:',
        `    image: registry.example.com/plant/app-frontend@${D2}`,
        '    build: ./frontend',
        '    expose: ["80"]',
        '',
      ].join('\n'),
    );
    assert.deepEqual(changes, [
      { service: 'frontend', before: '', after: `registry.example.com/plant/app-frontend@${D2}` },
    ]);
    // Pinned once, the image is there: a second build only moves the digest.
    assert.deepEqual(
      pinCompose(out, new Map([['registry.example.com/plant/app-frontend', D2]]), named).changes,
      [],
    );
  });

  it('keys images by host and repository, and pins keep the written name', () => {
    assert.equal(repositoryKey('busybox'), 'docker.io/library/busybox');
    assert.equal(repositoryKey(`127.0.0.1:5101/a/b:3@${D1}`), '127.0.0.1:5101/a/b');
    assert.equal(pinnedReference(`a/b:3@${D1}`, D2), `a/b:3@${D2}`);
  });
});

describe('pinMessage', () => {
  it('names every changed service with its old and new digest and the built commit', () => {
    const report = {
      commit: 'abcdef0123456789abcdef0123456789abcdef01',
      pins: [
        {
          file: 'stacks/a/compose.yaml',
          text: '',
          changes: [{ service: 'api', before: 'r/api', after: `r/api@${D1}` }],
        },
      ],
    } as unknown as BuildReport;
    const message = pinMessage(report);
    assert.match(message, /^ferry: pin 1 image built from abcdef012345\n/);
    assert.match(message, new RegExp(`api: r/api\\n    \\(unpinned\\) -> ${D1}`));
    assert.match(message, /Built-from: abcdef0123456789abcdef0123456789abcdef01/);
  });
});
