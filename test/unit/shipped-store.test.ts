// ferryd's store of mount content (state.dir): repository files written once and verified, data
// folders, per-container writable copies, secrets from the environment, and the sweep.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { DesiredService, Mount } from '#kernel/fleet/desired-state.js';
import { readShipped } from '#kernel/fleet/shipped-files.js';
import { ShippedStore, sweepShipped } from '../../daemon/src/apply/shipped-store.js';
import { MemoryReader } from '../helpers/memory-reader.js';
import { service } from '../helpers/plan-builders.js';

const repo = { 'stacks/iot/broker.conf': 'listener 1883\n', 'stacks/iot/conf/a.ini': 'a=1\n' };

async function store(files: Record<string, string> = repo, env: Record<string, string> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-store-'));
  const reads: string[] = [];
  const shipped = new ShippedStore({
    dir,
    readerAt: async (revision) => {
      reads.push(revision);
      return new MemoryReader(files, revision);
    },
    env,
  });
  return { dir, shipped, reads };
}

async function fromRepo(path: string, readOnly = true): Promise<Mount> {
  const entry = (await readShipped(new MemoryReader(repo), path))!;
  return {
    type: 'bind',
    source: `./${path}`,
    target: `/etc/${path.split('/').at(-1)}`,
    readOnly,
    origin: { kind: 'repository', path, digest: entry.digest, entry: entry.kind },
  };
}

const withMounts = (mounts: Mount[]): DesiredService => service('broker', { mounts });

describe('ShippedStore', () => {
  it('writes repository content once under files/DIGEST, and mounts it from there', async () => {
    const { dir, shipped, reads } = await store();
    const svc = withMounts([
      await fromRepo('stacks/iot/broker.conf'),
      await fromRepo('stacks/iot/conf'),
    ]);
    const prepared = await shipped.prepare(svc, 'rev1', 'iot.broker');
    const [file, folder] = prepared.mounts;
    assert.equal(await readFile(file!.source, 'utf8'), 'listener 1883\n');
    assert.equal(await readFile(join(folder!.source, 'a.ini'), 'utf8'), 'a=1\n');
    assert.ok(file!.source.startsWith(join(dir, 'files')));
    assert.equal(file!.origin, undefined);
    assert.equal(file!.createHostPath, false);
    await shipped.prepare(svc, 'rev1', 'iot.broker');
    assert.deepEqual(reads, ['rev1', 'rev1'], 'the second prepare reads nothing');
  });

  it('refuses content that is not what the fleet named', async () => {
    const mount = await fromRepo('stacks/iot/broker.conf');
    const { shipped } = await store({ ...repo, 'stacks/iot/broker.conf': 'tampered\n' });
    await assert.rejects(
      shipped.prepare(withMounts([mount]), 'rev1', 'x'),
      /is not the content the fleet named/,
    );
  });

  it('gives a container that writes its own copy, and keeps data folders', async () => {
    const { dir, shipped } = await store();
    const data: Mount = {
      type: 'bind',
      source: './data',
      target: '/data',
      readOnly: false,
      origin: { kind: 'data', path: 'iot/stacks/iot/data' },
    };
    const prepared = await shipped.prepare(
      withMounts([await fromRepo('stacks/iot/broker.conf', false), data]),
      'rev1',
      'iot.broker',
    );
    const [copy, folder] = prepared.mounts;
    assert.ok(copy!.source.includes(join('files', 'rw', 'iot.broker')));
    await writeFile(copy!.source, 'changed\n');
    const again = await shipped.prepare(
      withMounts([await fromRepo('stacks/iot/broker.conf')]),
      'rev1',
      'iot.other',
    );
    assert.equal(
      await readFile(again.mounts[0]!.source, 'utf8'),
      'listener 1883\n',
      'the stored content is intact',
    );
    assert.equal(folder!.source, join(dir, 'data', 'iot/stacks/iot/data'));
    assert.ok((await stat(folder!.source)).isDirectory());
  });

  it("writes a secret from ferryd's environment with mode 0400, and refuses a missing one", async () => {
    const secret: Mount = {
      type: 'bind',
      source: '',
      target: '/run/secrets/token',
      readOnly: true,
      origin: { kind: 'environment', name: 'token', variable: 'API_TOKEN' },
    };
    const { shipped } = await store(repo, { API_TOKEN: 'hunter2' });
    const prepared = await shipped.prepare(withMounts([secret]), 'rev1', 'iot.app');
    assert.equal(await readFile(prepared.mounts[0]!.source, 'utf8'), 'hunter2');
    assert.equal((await stat(prepared.mounts[0]!.source)).mode & 0o777, 0o400);
    const { shipped: without } = await store(repo, {});
    await assert.rejects(
      without.prepare(withMounts([secret]), 'rev1', 'iot.app'),
      (error: Error) =>
        /API_TOKEN is not set in ferryd's environment/.test(error.message) &&
        !error.message.includes('hunter2'),
    );
  });

  it('sweeps content and containers nothing names any more, and never data folders', async () => {
    const { dir, shipped } = await store();
    const kept = await fromRepo('stacks/iot/broker.conf');
    const gone = await fromRepo('stacks/iot/conf');
    await shipped.prepare(withMounts([kept, gone]), 'rev1', 'iot.broker');
    const data: Mount = {
      type: 'bind',
      source: './data',
      target: '/data',
      readOnly: false,
      origin: { kind: 'data', path: 'iot/x' },
    };
    await shipped.prepare(
      withMounts([data, await fromRepo('stacks/iot/conf', false)]),
      'rev1',
      'iot.old',
    );
    const digest = kept.origin?.kind === 'repository' ? kept.origin.digest : '';
    await sweepShipped(dir, { digests: new Set([digest]), containers: new Set(['iot.broker']) });
    assert.deepEqual(await readdir(join(dir, 'files')), [digest.replace('sha256:', ''), 'rw']);
    assert.deepEqual(await readdir(join(dir, 'files', 'rw')), []);
    assert.deepEqual(await readdir(join(dir, 'data', 'iot')), ['x']);
  });
});
