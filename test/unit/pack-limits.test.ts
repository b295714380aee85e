// The pack inspector against packs made by git itself: it walks every object, in whatever chunks
// the bytes arrive, and stops a fetch at the first object or pack past its limit.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { PackInspector, PackTooLarge } from '../../daemon/src/source/pack-limits.js';

const exec = promisify(execFile);
const MiB = 1024 * 1024;
let repo: string;

async function git(...args: string[]): Promise<string> {
  return (
    await exec('git', args, { cwd: repo, maxBuffer: 1 << 28, encoding: 'buffer' })
  ).stdout.toString('latin1');
}

/** A pack of every object reachable from HEAD, as `git pack-objects` makes it. */
async function packOf(): Promise<Buffer> {
  const objects = await git('rev-list', '--objects', 'HEAD');
  const child = execFile('git', ['pack-objects', '--stdout', '-q'], {
    cwd: repo,
    encoding: 'buffer',
    maxBuffer: 1 << 28,
  });
  child.stdin!.end(objects);
  const chunks: Buffer[] = [];
  child.stdout!.on('data', (c: Buffer) => chunks.push(c));
  await new Promise((resolve) => child.on('close', resolve));
  return Buffer.concat(chunks);
}

/** The pack as upload-pack sends it: NAK, then side-band-64k pkt-lines on channel 1. */
function sideBand(pack: Buffer): Buffer {
  const lines: Buffer[] = [Buffer.from('0008NAK\n')];
  for (let at = 0; at < pack.length; at += 65515) {
    const part = pack.subarray(at, at + 65515);
    const header = Buffer.from((part.length + 5).toString(16).padStart(4, '0'));
    lines.push(header, Buffer.from([1]), part);
  }
  lines.push(Buffer.from('0000'));
  return Buffer.concat(lines);
}

/** Feeds `bytes` in chunks of varying size, as a network would. */
function feed(inspector: PackInspector, bytes: Buffer): void {
  let at = 0;
  let size = 1;
  while (at < bytes.length) {
    inspector.push(bytes.subarray(at, at + size));
    at += size;
    size = (size * 7 + 13) % 40_000 || 1;
  }
  inspector.end();
}

async function commit(files: Record<string, Buffer | string>): Promise<void> {
  for (const [name, content] of Object.entries(files)) await writeFile(join(repo, name), content);
  await git('add', '-A');
  await git('commit', '-q', '-m', 'change');
}

before(async () => {
  repo = await mkdtemp(join(tmpdir(), 'ferry-pack-'));
  await git('init', '-q');
  await git('config', 'user.email', 't@ferry.test');
  await git('config', 'user.name', 'T');
});
after(() => rm(repo, { recursive: true, force: true }));

const limits = { maxObjectBytes: 4 * MiB, maxPackBytes: 32 * MiB };

describe('PackInspector', () => {
  it('walks a fleet-sized pack to its end, raw or in side-band pkt-lines', async () => {
    await commit({ 'fleet.yaml': 'apiVersion: ferry/v1\n', 'notes.txt': 'x'.repeat(300_000) });
    const pack = await packOf();
    for (const wire of [pack, sideBand(pack)]) {
      const inspector = new PackInspector(limits);
      feed(inspector, wire);
      assert.equal(inspector.objectsWalked, inspector.objectsInPack);
      assert.ok(inspector.objectsWalked >= 4);
    }
  });

  it('stops at a file of zeros larger than the limit, before the pack ends', async () => {
    await commit({ 'firmware.bin': Buffer.alloc(64 * MiB) });
    const pack = await packOf();
    assert.ok(pack.length < 1 * MiB, `a ${pack.length}-byte pack`);
    assert.throws(() => feed(new PackInspector(limits), sideBand(pack)), PackTooLarge);
    assert.throws(
      () => feed(new PackInspector(limits), sideBand(pack)),
      /a blob of 67108864 bytes, more than source.maxObjectBytes \(4194304\)/,
    );
  });

  it('refuses a large file that changed between commits (stored whole or as a delta)', async () => {
    await rm(join(repo, 'firmware.bin'));
    const base = Buffer.alloc(3 * MiB, 'a');
    await commit({ 'data.bin': base });
    await commit({ 'data.bin': Buffer.concat([base, Buffer.alloc(2 * MiB, 'b')]) });
    const pack = await packOf();
    assert.throws(() => feed(new PackInspector(limits), pack), /more than source.maxObjectBytes/);
  });

  it('stops a pack larger than maxPackBytes', async () => {
    const pack = await packOf();
    assert.throws(
      () => feed(new PackInspector({ maxObjectBytes: 64 * MiB, maxPackBytes: 1024 }), pack),
      /more than source.maxPackBytes \(1024 bytes\)/,
    );
  });
});
