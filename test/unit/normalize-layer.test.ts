import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import tar, { type Header } from 'tar-stream';
import { EPOCH, layerTime } from '../../builder/src/image/layer-time.js';
import { normalizeTar } from '../../builder/src/image/normalize-layer.js';

type EntryHeader = Partial<Header> & { name: string };

async function tarOf(entries: { header: EntryHeader; body?: string }[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const e of entries) pack.entry(e.header as Header, e.body ?? '');
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function headersOf(layer: Buffer): Promise<Header[]> {
  const extract = tar.extract();
  const headers: Header[] = [];
  extract.on('entry', (header, stream, next) => {
    headers.push(header);
    stream.on('end', next);
    stream.resume();
  });
  const done = new Promise<void>((r) => extract.on('finish', () => r()));
  extract.end(layer);
  await done;
  return headers;
}

const commit = EPOCH;
const file = (
  name: string,
  mtime: string,
  more: Partial<Header> = {},
): { header: EntryHeader; body: string } => ({
  header: { name, mtime: new Date(mtime), mode: 0o644, uid: 0, gid: 0, ...more },
  body: `content of ${name}`,
});

describe('normalizeTar', () => {
  it('gives identical bytes for the same content built twice (order and later times differ)', async () => {
    const first = await tarOf([
      file('app/b.js', '2026-11-20T10:00:00Z'),
      file('app/a.js', '2026-11-20T10:00:01Z'),
    ]);
    const second = await tarOf([
      file('app/a.js', '2026-11-21T08:30:00Z'),
      file('app/b.js', '2026-11-21T08:30:05Z'),
    ]);
    const [x, y] = await Promise.all([normalizeTar(first, commit), normalizeTar(second, commit)]);
    assert.deepEqual(x, y);
  });

  it('sorts entries, sets every time to the one fixed time (a cache hit brings older ones), keeps ownership and modes', async () => {
    const layer = await tarOf([
      file('z', '2026-11-20T00:00:00Z'),
      file('a', '2020-01-01T00:00:00Z', { uid: 1000, gid: 1000, mode: 0o755 }),
    ]);
    const headers = await headersOf(await normalizeTar(layer, commit));
    assert.deepEqual(
      headers.map((h) => h.name),
      ['a', 'z'],
    );
    assert.equal(headers[0]?.mtime?.toISOString(), commit.toISOString());
    assert.equal(headers[1]?.mtime?.toISOString(), commit.toISOString());
    assert.deepEqual([headers[0]?.uid, headers[0]?.gid, headers[0]?.mode], [1000, 1000, 0o755]);
  });

  it('changes the digest when content changes', async () => {
    const a = await normalizeTar(await tarOf([file('f', '2020-01-01T00:00:00Z')]), commit);
    const b = await normalizeTar(
      await tarOf([{ ...file('f', '2020-01-01T00:00:00Z'), body: 'other' }]),
      commit,
    );
    assert.notDeepEqual(a, b);
  });

  it('keeps symlinks and whiteouts', async () => {
    const layer = await tarOf([
      { header: { name: 'bin/sh', type: 'symlink', linkname: 'busybox', mtime: commit } },
      { header: { name: 'etc/.wh.old.conf', mtime: commit, size: 0 } },
    ]);
    const headers = await headersOf(await normalizeTar(layer, commit));
    assert.deepEqual(
      headers.map((h) => [h.name, h.type, h.linkname ?? null]),
      [
        ['bin/sh', 'symlink', 'busybox'],
        ['etc/.wh.old.conf', 'file', null],
      ],
    );
  });
});

describe('layerTime', () => {
  it('is the Unix epoch unless SOURCE_DATE_EPOCH is set', () => {
    assert.equal(layerTime({}).toISOString(), '1970-01-01T00:00:00.000Z');
    assert.equal(layerTime({ SOURCE_DATE_EPOCH: '' }).getTime(), 0);
    assert.equal(
      layerTime({ SOURCE_DATE_EPOCH: '1700000000' }).toISOString(),
      '2023-11-14T22:13:20.000Z',
    );
  });

  it('refuses a SOURCE_DATE_EPOCH that is not whole seconds', () => {
    assert.throws(() => layerTime({ SOURCE_DATE_EPOCH: '2024-01-01' }), {
      code: 'FERRY_USAGE',
      message: /SOURCE_DATE_EPOCH='2024-01-01'/,
    });
  });
});
