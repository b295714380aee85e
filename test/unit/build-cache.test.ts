// The build cache survives what a killed build leaves: damaged index entries are recompressed,
// scratch files of dead builds are swept, a running build's are not; blobs read back by key.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { BuildCache } from '../../builder/src/pipeline/build-cache.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-cache-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

describe('BuildCache', () => {
  it('is fresh when it made the folder, and keeps a blob under its key', async () => {
    const cache = await BuildCache.open(join(dir, 'a'));
    assert.equal(cache.fresh, true);
    const tar = Buffer.from('a layer tar, uncompressed'.repeat(100));
    const put = await cache.put('norm1-0-abc', tar);
    assert.equal(put.diffId, sha256(tar));
    const gzip = await readFile(put.file);
    assert.equal(put.digest, sha256(gzip));
    assert.deepEqual(gunzipSync(gzip), tar);
    assert.deepEqual(await cache.get('norm1-0-abc'), put);
    assert.equal((await BuildCache.open(join(dir, 'a'))).fresh, false);
    // The same bytes compress to the same blob: the digest does not depend on the machine or run.
    assert.equal((await cache.put('keep-abc', tar)).digest, put.digest);
  });

  it('treats a damaged index entry or a truncated blob as missing', async () => {
    const cache = await BuildCache.open(join(dir, 'b'));
    const put = await cache.put('k1', Buffer.from('x'.repeat(1000)));
    await writeFile(join(dir, 'b/index/k2.json'), '{"diffId": "sha');
    assert.equal(await cache.get('k2'), undefined);
    await writeFile(put.file, 'short');
    assert.equal(await cache.get('k1'), undefined);
  });

  it("sweeps scratch files a killed build left an hour ago, never a running build's", async () => {
    const cache = await BuildCache.open(join(dir, 'c'));
    const old = join(cache.scratch, '.save-dead');
    const young = join(cache.scratch, '.save-running');
    await writeFile(old, 'partial');
    await writeFile(young, 'partial');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    await utimes(old, twoHoursAgo, twoHoursAgo);
    await BuildCache.open(join(dir, 'c'));
    assert.deepEqual((await readdir(cache.scratch)).sort(), ['.save-running']);
  });
});
