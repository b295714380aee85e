// The beacon: signed, sequenced, expiring. A gateway refuses a tampered one, one signed by
// another key, one for another branch and a replayed older one; an expired one means frozen;
// an unchanged one (304) costs no write.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  BEACON_NAMESPACE,
  beaconKey,
  canonicalBeacon,
  verifyBeacon,
  type BeaconBody,
} from '#kernel/trust/beacon.js';
import { signEd25519, sshPublicLine } from '#kernel/trust/ssh-signature.js';
import { BeaconWatch } from '../../daemon/src/source/beacon-watch.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const NOW = Date.parse('2026-11-30T12:00:00Z');
const commit = 'a'.repeat(40);

function beacon(more: Partial<BeaconBody> = {}, key = privateKey): string {
  const body: BeaconBody = {
    v: 1,
    branch: 'main',
    commit,
    sequence: 100,
    issuedAt: new Date(NOW).toISOString(),
    expiresAt: new Date(NOW + 3_600_000).toISOString(),
    ...more,
  };
  return JSON.stringify({
    ...body,
    signature: signEd25519(key, canonicalBeacon(body), BEACON_NAMESPACE),
  });
}

const key = beaconKey(sshPublicLine(publicKey));
const check = (text: string, lastSequence = 0, now = NOW) =>
  verifyBeacon(text, { key, branch: 'main', lastSequence, now });
const why = (verdict: ReturnType<typeof check>) => (verdict.ok ? 'ok' : verdict.reason);

describe('verifyBeacon', () => {
  it('accepts a signed beacon and says when it has expired', () => {
    const fresh = check(beacon());
    assert.equal(fresh.ok && fresh.expired, false);
    const late = check(beacon(), 0, NOW + 3_600_000);
    assert.equal(late.ok && late.expired, true);
  });

  it('refuses a tampered beacon, another key, another branch and a lower sequence', () => {
    const tampered = beacon().replace(commit, 'b'.repeat(40));
    assert.match(why(check(tampered)), /does not match its content/);
    assert.match(why(check(beacon({}, other.privateKey))), /signed by another key/);
    assert.match(why(check(beacon({ branch: 'dev' }))), /for branch dev, not main/);
    assert.match(why(check(beacon(), 101)), /sequence 100 is lower than 101.*replay/);
    assert.equal(check(beacon(), 100).ok, true, 'the same beacon again is fine');
    assert.match(why(check('{"v":1}')), /lacks a field/);
    assert.match(why(check('nope')), /not JSON/);
  });
});

describe('BeaconWatch', () => {
  async function watch(
    serve: () => { status: number; body?: string; etag?: string },
    now = () => NOW,
  ) {
    const stateDir = await mkdtemp(join(tmpdir(), 'ferry-beacon-'));
    const asked: (string | null)[] = [];
    const fetcher = (async (_url: string, init?: RequestInit) => {
      asked.push(new Headers(init?.headers).get('if-none-match'));
      const { status, body, etag } = serve();
      return new Response(status === 304 ? null : (body ?? ''), {
        status,
        headers: etag ? { etag } : {},
      });
    }) as unknown as typeof fetch;
    const made = new BeaconWatch({
      url: 'http://beacon.test/beacon.json',
      publicKey: sshPublicLine(publicKey),
      branch: 'main',
      stateDir,
      fetch: fetcher,
      now,
    });
    return { made, asked, stateDir };
  }

  it('asks with the ETag it has, and a 304 costs no write', async () => {
    let answer = { status: 200, body: beacon(), etag: '"v1"' };
    const { made, asked, stateDir } = await watch(() => answer);
    assert.deepEqual(await made.look(), {
      commit,
      sequence: 100,
      expiresAt: new Date(NOW + 3_600_000).toISOString(),
      frozen: false,
    });
    const written = (await stat(join(stateDir, 'beacon.json'))).mtimeMs;
    answer = { status: 304, body: '', etag: '"v1"' };
    assert.equal((await made.look()).commit, commit);
    assert.deepEqual(asked, [null, '"v1"']);
    assert.equal((await stat(join(stateDir, 'beacon.json'))).mtimeMs, written);
  });

  it('refuses a replayed older beacon after a newer one', async () => {
    let answer = { status: 200, body: beacon({ sequence: 200 }), etag: '"b"' };
    const { made } = await watch(() => answer);
    await made.look();
    answer = { status: 200, body: beacon({ sequence: 150 }), etag: '"a"' };
    await assert.rejects(
      made.look(),
      (e: Error & { code?: string }) => e.code === 'FERRY_BEACON' && /replay/.test(e.message),
    );
  });

  it('is frozen once the beacon it knows expires, even when the beacon server is gone', async () => {
    let now = NOW;
    let up = true;
    const { made } = await watch(
      () => (up ? { status: 200, body: beacon(), etag: '"v1"' } : { status: 503 }),
      () => now,
    );
    assert.equal((await made.look()).frozen, false);
    up = false;
    await assert.rejects(made.look(), /not reached/);
    now = NOW + 3_600_000;
    assert.equal((await made.look()).frozen, true);
  });
});
