// Whether a branch tip may follow the commit a device accepted last: descent along first parents
// (a force-push back or to another history is refused), deepening a shallow history as needed,
// and, with allowed signers, a signature on every commit since.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseAllowedSigners } from '#kernel/trust/allowed-signers.js';
import { checkHistory, type CommitStore } from '#kernel/trust/commit-history.js';

const oid = (name: string) => name.padEnd(40, '0').replace(/[^0-9a-f]/g, 'a');
const raw = (parents: string[]) =>
  `tree ${'1'.repeat(40)}\n${parents.map((p) => `parent ${oid(p)}\n`).join('')}author a <a> 1 +0000\ncommitter a <a> 1 +0000\n\nmsg\n`;

/** A history: each commit's parents; `shallow` commits appear only after a deepen. */
function store(history: Record<string, string[]>, shallow: string[] = []) {
  const hidden = new Set(shallow.map(oid));
  let deepens = 0;
  const objects = new Map(
    Object.entries(history).map(([name, parents]) => [oid(name), raw(parents)]),
  );
  const commits: CommitStore & { deepens: () => number } = {
    commit: async (id) => (hidden.has(id) ? undefined : objects.get(id)),
    deepen: async () => {
      deepens += 1;
      const had = hidden.size > 0;
      hidden.clear();
      return had;
    },
    signersAt: async () => undefined,
    deepens: () => deepens,
  };
  return commits;
}

const line = { a: [], b: ['a'], c: ['b'], d: ['c'], other: [], merge: ['c', 'other'] };

describe('checkHistory', () => {
  it('accepts a tip that descends from the anchor, and the anchor itself', async () => {
    const commits = store(line);
    assert.deepEqual(await checkHistory({ tip: oid('d'), anchor: oid('b'), store: commits }), {
      ok: true,
      verified: 0,
    });
    assert.equal(
      (await checkHistory({ tip: oid('b'), anchor: oid('b'), store: commits })).ok,
      true,
    );
    assert.equal(
      (await checkHistory({ tip: oid('merge'), anchor: oid('a'), store: commits })).ok,
      true,
    );
  });

  it('refuses a branch moved back to an older commit, or to another history', async () => {
    const back = await checkHistory({ tip: oid('b'), anchor: oid('d'), store: store(line) });
    assert.equal(back.ok, false);
    assert.equal(!back.ok && back.code, 'FERRY_SOURCE_ROLLBACK');
    assert.match(!back.ok ? back.reason : '', /does not descend from .* the commit accepted last/);
    const other = await checkHistory({ tip: oid('other'), anchor: oid('c'), store: store(line) });
    assert.equal(!other.ok && other.code, 'FERRY_SOURCE_ROLLBACK');
  });

  it('deepens a shallow history to find the anchor, and gives up past the limit', async () => {
    const commits = store(line, ['b', 'a']);
    assert.equal(
      (await checkHistory({ tip: oid('d'), anchor: oid('a'), store: commits })).ok,
      true,
    );
    assert.equal(commits.deepens(), 1);
    const long = await checkHistory({
      tip: oid('d'),
      anchor: oid('a'),
      store: store(line),
      maxCommits: 2,
    });
    assert.match(!long.ok ? long.reason : '', /within 2 commits/);
  });

  it('with allowed signers, refuses an unsigned commit on the way, naming it', async () => {
    const root = parseAllowedSigners(
      `ops@example ${readFileSync(new URL('../../../test/fixtures/trust/ed.pub', import.meta.url), 'utf8')}`,
    ).signers;
    const verdict = await checkHistory({
      tip: oid('d'),
      anchor: oid('b'),
      store: store(line),
      root,
    });
    assert.equal(!verdict.ok && verdict.code, 'FERRY_SIGNATURE');
    assert.equal(!verdict.ok && verdict.commit, oid('c'), 'the oldest commit after the anchor');
    assert.match(!verdict.ok ? verdict.reason : '', /is not signed/);
  });
});
