// Every log event the programs emit is documented in docs/operations.md, and the docs name no
// event that does not exist: operators alert on these names.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const root = new URL('../../../', import.meta.url).pathname;

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(join(root, dir), { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

describe('log events', () => {
  it('are each documented in docs/operations.md, and only those', async () => {
    const files = (
      await Promise.all(['daemon/src', 'builder/src', 'kernel/src'].map(sources))
    ).flat();
    const emitted = new Set<string>();
    for (const file of files)
      for (const match of (await readFile(file, 'utf8')).matchAll(/event: '([a-z_]+\.[a-z_]+)'/g))
        emitted.add(match[1]!);
    // Events named at run time: `rollout.${decision.action}`.
    for (const action of ['promote', 'pause', 'complete']) emitted.add(`rollout.${action}`);
    const docs = await readFile(join(root, 'docs/operations.md'), 'utf8');
    const section = docs.slice(docs.indexOf('## Logs'), docs.indexOf('## Before a change'));
    const documented = new Set([...section.matchAll(/`([a-z_]+\.[a-z_]+)`/g)].map((m) => m[1]!));
    documented.delete('log.level');
    assert.deepEqual(
      [...emitted].filter((e) => !documented.has(e)).sort(),
      [],
      'emitted, not documented',
    );
    assert.deepEqual(
      [...documented].filter((e) => !emitted.has(e)).sort(),
      [],
      'documented, not emitted',
    );
  });
});
