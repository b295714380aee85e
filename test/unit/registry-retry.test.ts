// The registry client's retry rules, against a fake HTTP port: what is retried (network errors,
// 5xx, 429 after its Retry-After), what never is (credentials refused, other 4xx), and how long
// it waits.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FerryError } from '#kernel/errors.js';
import { parseImageReference } from '#kernel/oci/image-reference.js';
import { RegistryClient } from '#kernel/oci/registry-client.js';
import { retryAfterMs } from '#kernel/oci/registry-retry.js';

type Answer = Response | Error;

/** A client whose every request gets the next answer; records requests and sleeps. */
function clientWith(answers: Answer[], credentials?: { username: string; password: string }) {
  const requests: string[] = [];
  const sleeps: number[] = [];
  const client = new RegistryClient({
    fetch: async (input) => {
      requests.push(String(input));
      const answer = answers.shift() ?? new Response('{}', { status: 200 });
      if (answer instanceof Error) throw answer;
      return answer;
    },
    sleep: async (ms) => void sleeps.push(ms),
    random: () => 0,
    ...(credentials ? { credentials: async () => credentials } : {}),
  });
  return { client, requests, sleeps };
}

const ref = parseImageReference('registry.test/app/api:1');
const manifest = JSON.stringify({ schemaVersion: 2, config: {}, layers: [] });
const ok = () =>
  new Response(manifest, {
    status: 200,
    headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
  });
const status = (code: number, headers: Record<string, string> = {}) =>
  new Response('{}', { status: code, headers });

describe('registry client retries', () => {
  it('gives up at once when the registry wants credentials and there are none', async () => {
    const { client, sleeps, requests } = clientWith([
      status(401, { 'www-authenticate': 'Basic realm="registry"' }),
    ]);
    await assert.rejects(client.getManifest(ref, '1'), /needs credentials \(registry.auth\)/);
    assert.deepEqual(sleeps, []);
    assert.equal(requests.length, 1);
  });

  it('does not retry credentials the token endpoint refused, and says so', async () => {
    const { client, sleeps, requests } = clientWith(
      [
        status(401, {
          'www-authenticate': 'Bearer realm="https://auth.test/token",service="registry.test"',
        }),
        status(401),
      ],
      { username: 'gw', password: 'wrong' },
    );
    const error = await client.getManifest(ref, '1').catch((e: unknown) => e);
    assert.ok(error instanceof FerryError);
    assert.match(error.message, /answered 401 \(credentials refused\)/);
    assert.doesNotMatch(error.message, /unreachable/);
    assert.deepEqual(sleeps, []);
    assert.equal(requests.length, 2);
  });

  it('waits as long as a 429 asks (Retry-After in seconds), then goes on', async () => {
    const { client, sleeps } = clientWith([status(429, { 'retry-after': '2' }), ok()]);
    assert.equal(
      (await client.getManifest(ref, '1')).mediaType,
      'application/vnd.oci.image.manifest.v1+json',
    );
    assert.deepEqual(sleeps, [2000]);
  });

  it("takes a 429 that asks for more than a minute as this pass's answer", async () => {
    const { client, sleeps } = clientWith([status(429, { 'retry-after': '3600' })]);
    await assert.rejects(client.getManifest(ref, '1'), /HTTP 429/);
    assert.deepEqual(sleeps, []);
  });

  it('backs off exponentially, with jitter, on 5xx', async () => {
    const { client, sleeps } = clientWith([status(503), status(502), ok()]);
    await client.getManifest(ref, '1');
    assert.deepEqual(sleeps, [125, 250]); // random() = 0: half of 250 ms, half of 500 ms
  });

  it('never retries a 404', async () => {
    const { client, sleeps, requests } = clientWith([status(404)]);
    await assert.rejects(client.getManifest(ref, '1'), /HTTP 404/);
    assert.deepEqual(sleeps, []);
    assert.equal(requests.length, 1);
  });

  it('retries network errors four times, then reports the registry unreachable', async () => {
    const reset = () => new TypeError('fetch failed');
    const { client, sleeps } = clientWith([reset(), reset(), reset(), reset(), reset()]);
    await assert.rejects(client.getManifest(ref, '1'), /registry registry.test unreachable/);
    assert.equal(sleeps.length, 4);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates, and ignores what it cannot read', () => {
    const now = Date.parse('2026-11-30T12:00:00Z');
    assert.equal(retryAfterMs('5', now), 5000);
    assert.equal(retryAfterMs('Mon, 30 Nov 2026 12:00:30 GMT', now), 30_000);
    assert.equal(retryAfterMs('Mon, 30 Nov 2026 11:00:00 GMT', now), 0);
    assert.equal(retryAfterMs('soon', now), undefined);
    assert.equal(retryAfterMs(null, now), undefined);
  });
});
