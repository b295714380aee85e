// The stage registry speaks the push half of the OCI distribution API as the engine uses it:
// uploads (POST, PATCH, PUT with the digest) checked against their digest, HEAD for blobs it
// has, cross-repository mounts, manifests; and it comes back on the same port.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StageRegistry } from '../../builder/src/engine/stage-registry.js';

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

let dir: string;
let stage: StageRegistry;
const url = (path: string) => `http://${stage.host}${path}`;

async function upload(repository: string, bytes: Buffer, digest = sha256(bytes)) {
  const start = await fetch(url(`/v2/${repository}/blobs/uploads/`), { method: 'POST' });
  assert.equal(start.status, 202);
  const location = start.headers.get('location')!;
  const patch = await fetch(url(location), { method: 'PATCH', body: bytes.subarray(0, 3) });
  assert.equal(patch.status, 202);
  assert.equal(patch.headers.get('range'), '0-2');
  return fetch(url(`${location}?digest=${digest}`), { method: 'PUT', body: bytes.subarray(3) });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-stage-'));
  stage = await StageRegistry.start(dir);
});
after(async () => {
  await stage.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('StageRegistry', () => {
  it('answers the version check as a v2 registry', async () => {
    const response = await fetch(url('/v2/'));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('docker-distribution-api-version'), 'registry/2.0');
  });

  it('keeps an upload in two parts under its digest and answers HEAD for it', async () => {
    const bytes = Buffer.from('layer bytes, compressed by the engine');
    const put = await upload('ferry-stage/app', bytes);
    assert.equal(put.status, 201);
    assert.equal(put.headers.get('docker-content-digest'), sha256(bytes));
    assert.deepEqual(await readFile(stage.blobFile(sha256(bytes))), bytes);
    const head = await fetch(url(`/v2/ferry-stage/app/blobs/${sha256(bytes)}`), { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(bytes.length));
    const missing = await fetch(url(`/v2/ferry-stage/app/blobs/sha256:${'0'.repeat(64)}`), {
      method: 'HEAD',
    });
    assert.equal(missing.status, 404);
  });

  it('refuses an upload whose bytes do not match the digest named, keeping nothing', async () => {
    const bytes = Buffer.from('what was sent');
    const wrong = sha256(Buffer.from('what was claimed'));
    const put = await upload('ferry-stage/app', bytes, wrong);
    assert.equal(put.status, 400);
    await assert.rejects(readFile(stage.blobFile(wrong)));
  });

  it('mounts a blob it has into another repository without an upload', async () => {
    const bytes = Buffer.from('shared base layer');
    await upload('ferry-stage/one', bytes);
    const mount = await fetch(
      url(`/v2/ferry-stage/two/blobs/uploads/?mount=${sha256(bytes)}&from=ferry-stage/one`),
      { method: 'POST' },
    );
    assert.equal(mount.status, 201);
    const unknown = await fetch(
      url(`/v2/ferry-stage/two/blobs/uploads/?mount=sha256:${'1'.repeat(64)}&from=x`),
      { method: 'POST' },
    );
    assert.equal(unknown.status, 202, 'an unknown blob gets an upload session instead');
  });

  it('keeps the manifest pushed for a tag, by tag and by digest', async () => {
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      }),
    );
    const put = await fetch(url('/v2/ferry-stage/app/manifests/linux-amd64'), {
      method: 'PUT',
      body: manifest,
    });
    assert.equal(put.status, 201);
    assert.equal(put.headers.get('docker-content-digest'), sha256(manifest));
    assert.deepEqual(stage.manifest('ferry-stage/app', 'linux-amd64'), manifest);
    assert.deepEqual(stage.manifest('ferry-stage/app', sha256(manifest)), manifest);
  });

  it('comes back on the port it had, where the engine remembers what it pushed', async () => {
    const host = stage.host;
    await stage.stop();
    stage = await StageRegistry.start(dir);
    assert.equal(stage.host, host);
  });
});
