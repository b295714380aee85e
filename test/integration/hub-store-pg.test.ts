// The hub's PostgreSQL store does what every hub store does (test/helpers/hub-store-contract.ts),
// each case on a database of its own on the test PostgreSQL.
import { PgStore } from '../../builder/src/hub/pg-store.js';
import { hubStoreContract } from '../helpers/hub-store-contract.js';
import { postgresDatabase } from '../helpers/hub-process.js';

hubStoreContract('PgStore', async () => {
  const store = new PgStore(await postgresDatabase());
  await store.migrate();
  return store;
});
