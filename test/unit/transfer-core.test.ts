import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseImageReference } from '#kernel/oci/image-reference.js';
import { bytesToFetch, chainIds, diffLayers, localChainIds } from '#kernel/oci/layer-diff.js';
import { parseChallenge, TokenCache } from '#kernel/oci/registry-auth.js';
import { selectPlatform } from '#kernel/oci/resolve-image.js';

const id = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const layer = (n: number, size = 100) => ({
  digest: `sha256:${'c'.repeat(63)}${n}`,
  size,
  mediaType: 'gzip',
  diffId: id(n),
});

describe('chain IDs and the layer diff', () => {
  it('computes chain IDs as the OCI spec defines them', () => {
    const [first, second] = chainIds([id(1), id(2)]);
    assert.equal(first, id(1));
    assert.equal(
      second,
      `sha256:${createHash('sha256')
        .update(`${id(1)} ${id(2)}`)
        .digest('hex')}`,
    );
  });

  it('marks a layer present only when its whole chain is present', () => {
    const local = localChainIds([[id(1), id(2)]]);
    const needs = diffLayers([layer(1), layer(2), layer(3)], local);
    assert.deepEqual(
      needs.map((n) => n.present),
      [true, true, false],
    );
    // The same content on another base is a different chain: it must come again.
    assert.deepEqual(
      diffLayers([layer(9), layer(2)], local).map((n) => n.present),
      [false, false],
    );
  });

  it('compares by content: a layer compressed differently is still present', () => {
    const local = localChainIds([[id(1), id(2)]]);
    const recompressed = [layer(1), { ...layer(2), digest: `sha256:${'d'.repeat(64)}`, size: 999 }];
    assert.equal(bytesToFetch(diffLayers(recompressed, local)), 0);
  });

  it('counts each missing blob once', () => {
    const needs = diffLayers([layer(1, 10), layer(2, 20), layer(2, 20)], new Set());
    assert.equal(bytesToFetch(needs), 30);
  });
});

describe('image references', () => {
  it('reads host, repository, tag and digest', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    assert.deepEqual(parseImageReference(`127.0.0.1:5101/bms/collector@${digest}`), {
      host: '127.0.0.1:5101',
      repository: 'bms/collector',
      digest,
    });
    assert.deepEqual(parseImageReference('registry.example.com/app:1.2'), {
      host: 'registry.example.com',
      repository: 'app',
      tag: '1.2',
    });
    assert.deepEqual(parseImageReference('busybox'), {
      host: 'docker.io',
      repository: 'library/busybox',
    });
    assert.deepEqual(parseImageReference('localhost/x/y:z'), {
      host: 'localhost',
      repository: 'x/y',
      tag: 'z',
    });
  });

  it('rejects malformed digests and repositories', () => {
    assert.throws(() => parseImageReference('r.io/app@sha256:abc'), /digest must be/);
    assert.throws(() => parseImageReference('r.io/App'), /invalid repository/);
  });
});

describe('registry auth challenges and tokens', () => {
  it('parses Bearer and Basic challenges', () => {
    assert.deepEqual(
      parseChallenge(
        'Bearer realm="https://auth.example/token",service="registry",scope="repository:a/b:pull"',
      ),
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.example/token',
          service: 'registry',
          scope: 'repository:a/b:pull',
        },
      },
    );
    assert.deepEqual(parseChallenge('Basic realm="r"'), {
      scheme: 'basic',
      params: { realm: 'r' },
    });
    assert.equal(parseChallenge('Negotiate abc'), undefined);
    assert.equal(parseChallenge(null), undefined);
  });

  it('caches tokens until shortly before they expire', () => {
    let now = 0;
    const cache = new TokenCache(() => now);
    cache.set('k', 'Bearer t', 60);
    assert.equal(cache.get('k'), 'Bearer t');
    now = 49_000;
    assert.equal(cache.get('k'), 'Bearer t');
    now = 50_000;
    assert.equal(cache.get('k'), undefined);
  });
});

describe('platform selection', () => {
  const entry = (architecture: string, variant?: string) => ({
    mediaType: 'm',
    digest: `${architecture}${variant ?? ''}`,
    size: 1,
    platform: { os: 'linux', architecture, ...(variant ? { variant } : {}) },
  });
  const manifests = [entry('amd64'), entry('arm', 'v6'), entry('arm', 'v7'), entry('arm64', 'v8')];

  it('matches os and architecture, and the variant when given', () => {
    assert.equal(
      selectPlatform(manifests, { os: 'linux', architecture: 'amd64' })?.digest,
      'amd64',
    );
    assert.equal(
      selectPlatform(manifests, { os: 'linux', architecture: 'arm', variant: 'v7' })?.digest,
      'armv7',
    );
    assert.equal(
      selectPlatform(manifests, { os: 'linux', architecture: 'arm64' })?.digest,
      'arm64v8',
    );
    assert.equal(selectPlatform(manifests, { os: 'linux', architecture: 'riscv64' }), undefined);
  });
});
