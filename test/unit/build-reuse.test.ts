// Step keys and the layer plan: which layer of a built image comes from where, so that a cold
// builder reproduces the pinned digest and a changed step changes exactly its layer and those after.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assembleImage, type AssembledLayer } from '../../builder/src/image/assemble-image.js';
import { cacheKey, planLayers, type PinnedLayers } from '../../builder/src/image/layer-plan.js';
import { EPOCH } from '../../builder/src/image/layer-time.js';
import {
  recordedStepKeys,
  stepKeys,
  type HistoryEntry,
} from '../../builder/src/dockerfile/step-keys.js';

const AMD64 = 'linux/amd64';
const id = (n: number | string) => `sha256:${String(n).padStart(64, '0')}`;

/** A Node-style service on a one-layer base: package files, install, sources. */
function history(overrides: { install?: string; src?: string; env?: string } = {}) {
  return [
    { comment: 'Imported from -' },
    { created_by: '/bin/sh -c #(nop)  CMD ["sh"]', empty_layer: true },
    {
      created_by: `/bin/sh -c #(nop)  ENV NODE_ENV=${overrides.env ?? 'production'}`,
      empty_layer: true,
    },
    { created_by: '/bin/sh -c #(nop) WORKDIR /app' },
    { created_by: '/bin/sh -c #(nop) COPY multi:aaa in ./ ' },
    { created_by: `/bin/sh -c ${overrides.install ?? 'npm ci'}` },
    { created_by: `/bin/sh -c #(nop) COPY dir:${overrides.src ?? 'bbb'} in ./src ` },
    { created_by: '/bin/sh -c #(nop)  CMD ["node","src/main.js"]', empty_layer: true },
  ] satisfies HistoryEntry[];
}
const RAW = [id(1), id(2), id(3), id(4), id(5)];

function pinnedFrom(keys: readonly string[]): PinnedLayers {
  return {
    ref: { host: '127.0.0.1:5101', repository: 'acme/api' },
    layers: keys.map((_, i) => ({
      digest: id(`10${i}`),
      size: 100 + i,
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      diffId: id(`20${i}`),
    })),
    keys,
  };
}

describe('stepKeys', () => {
  it('gives every layer a key, the same for the same inputs', () => {
    const a = stepKeys(AMD64, history(), RAW, 1);
    assert.equal(a.length, 5);
    assert.equal(new Set(a).size, 5);
    assert.deepEqual(stepKeys(AMD64, history(), RAW, 1), a);
  });

  it('does not depend on the bytes a RUN step wrote', () => {
    const rebuilt = [id(1), id(2), id(3), id(99), id(98)];
    assert.deepEqual(stepKeys(AMD64, history(), rebuilt, 1), stepKeys(AMD64, history(), RAW, 1));
  });

  it('changes the key of a changed step and of every step after it, never before', () => {
    const before = stepKeys(AMD64, history(), RAW, 1);
    const src = stepKeys(AMD64, history({ src: 'ccc' }), RAW, 1);
    assert.deepEqual(src.slice(0, 4), before.slice(0, 4));
    assert.notEqual(src[4], before[4]);
    const install = stepKeys(AMD64, history({ install: 'npm ci --omit=dev' }), RAW, 1);
    assert.deepEqual(install.slice(0, 3), before.slice(0, 3));
    assert.notEqual(install[3], before[3]);
    assert.notEqual(install[4], before[4]);
  });

  it('changes every built key when an ENV before them, the base or the platform changes', () => {
    const before = stepKeys(AMD64, history(), RAW, 1);
    const env = stepKeys(AMD64, history({ env: 'development' }), RAW, 1);
    assert.ok(env.slice(1).every((key, i) => key !== before[i + 1]));
    const base = stepKeys(AMD64, history(), [id(7), ...RAW.slice(1)], 1);
    assert.ok(base.every((key, i) => key !== before[i]));
    const arm = stepKeys('linux/arm64', history(), RAW, 1);
    assert.ok(arm.every((key, i) => key !== before[i]));
  });

  it('gives no key to layers the history does not describe', () => {
    assert.equal(stepKeys(AMD64, history().slice(0, 5), RAW, 1).length, 3);
  });

  it('reads back the keys an assembled image recorded, one per layer', () => {
    const keys = stepKeys(AMD64, history(), RAW, 1);
    const layers: AssembledLayer[] = RAW.map((diffId, i) => ({
      diffId,
      digest: id(`30${i}`),
      size: 10,
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      source: { file: `/cache/${i}` },
      createdBy: '',
      fromBase: i === 0,
      reused: false,
      stepKey: keys[i]!,
    }));
    const image = assembleImage(
      { history: history() },
      layers,
      { os: 'linux', architecture: 'amd64' },
      EPOCH,
    );
    const config = JSON.parse(image.config.toString('utf8')) as {
      created: string;
      history: HistoryEntry[];
    };
    assert.equal(config.created, '1970-01-01T00:00:00.000Z');
    assert.deepEqual(recordedStepKeys(config.history), [undefined, ...keys.slice(1)]);
  });
});

describe('planLayers', () => {
  const keys = stepKeys(AMD64, history(), RAW, 1);

  it('normalises every built layer and keeps the base when nothing was pinned', () => {
    const plan = planLayers({ rawDiffIds: RAW, baseCount: 1, keys });
    assert.deepEqual(
      plan.map((s) => s.kind),
      ['keep', 'normalize', 'normalize', 'normalize', 'normalize'],
    );
  });

  it("takes a base's blobs from its registry", () => {
    const base = pinnedFrom(['x']);
    const plan = planLayers({ rawDiffIds: RAW, baseCount: 1, keys, base });
    assert.equal(plan[0]!.kind, 'registry');
  });

  it('reuses every pinned layer of an unchanged build (a cold builder gets the pinned digest)', () => {
    const plan = planLayers({ rawDiffIds: RAW, baseCount: 1, keys, pinned: pinnedFrom(keys) });
    assert.deepEqual(
      plan.map((s) => s.kind),
      ['keep', 'pinned', 'pinned', 'pinned', 'pinned'],
    );
  });

  it('reuses the layers before a changed step and rebuilds it and the ones after', () => {
    const changed = stepKeys(AMD64, history({ install: 'npm ci --omit=dev' }), RAW, 1);
    const plan = planLayers({
      rawDiffIds: RAW,
      baseCount: 1,
      keys: changed,
      pinned: pinnedFrom(keys),
    });
    assert.deepEqual(
      plan.map((s) => s.kind),
      ['keep', 'pinned', 'pinned', 'normalize', 'normalize'],
    );
  });

  it('reuses nothing of a pin made without step keys, or for another platform', () => {
    const old = planLayers({
      rawDiffIds: RAW,
      baseCount: 1,
      keys,
      pinned: pinnedFrom(keys.map(() => undefined) as unknown as string[]),
    });
    assert.ok(old.slice(1).every((s) => s.kind === 'normalize'));
    const arm = planLayers({
      rawDiffIds: RAW,
      baseCount: 1,
      keys: stepKeys('linux/arm64', history(), RAW, 1),
      pinned: pinnedFrom(keys),
    });
    assert.ok(arm.slice(1).every((s) => s.kind === 'normalize'));
  });

  it('never takes a base layer from the pin', () => {
    const plan = planLayers({ rawDiffIds: RAW, baseCount: 2, keys, pinned: pinnedFrom(keys) });
    assert.deepEqual(
      plan.slice(0, 2).map((s) => s.kind),
      ['keep', 'keep'],
    );
  });

  it('keys the cache by the engine layer and, for normalised layers, the time', () => {
    const keep = cacheKey({ kind: 'keep', rawDiffId: id(1) }, EPOCH);
    const norm = cacheKey({ kind: 'normalize', rawDiffId: id(1) }, EPOCH);
    const later = cacheKey({ kind: 'normalize', rawDiffId: id(1) }, new Date(1_700_000_000_000));
    assert.equal(new Set([keep, norm, later]).size, 3);
    assert.equal(
      cacheKey(
        { kind: 'registry', layer: pinnedFrom(['k']).layers[0]!, ref: pinnedFrom([]).ref },
        EPOCH,
      ),
      undefined,
    );
  });
});
