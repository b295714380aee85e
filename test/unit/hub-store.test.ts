// The hub's SQLite store: migrations applied once, then what every hub store does
// (test/helpers/hub-store-contract.ts).
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SqliteStore } from '../../builder/src/hub/sqlite-store.js';
import { hubStoreContract } from '../helpers/hub-store-contract.js';

async function open() {
  const path = join(await mkdtemp(join(tmpdir(), 'ferry-hubdb-')), 'hub.db');
  const store = await SqliteStore.open(path);
  await store.migrate();
  return { store, path };
}

describe('SqliteStore', () => {
  it('applies its migrations once, however often it starts', async () => {
    const { store, path } = await open();
    await store.enroll('gw', 'hash-1');
    await store.close();
    const again = await SqliteStore.open(path);
    await again.migrate();
    assert.equal(await again.deviceOfToken('hash-1'), 'gw');
    await again.close();
  });
});

hubStoreContract('SqliteStore', async () => (await open()).store);
