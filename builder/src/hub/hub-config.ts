// hub.yaml: read and validated against schema/hub.schema.json (filling defaults); the store it
// names is opened by openStore.
import { readConfigFile } from '#kernel/config-file.js';
import { readFile } from 'node:fs/promises';
import { parseDuration } from '#kernel/duration.js';
import { FerryError } from '#kernel/errors.js';
import type { SchemaValidator } from '#kernel/validate.js';
import type { HubStore } from './hub-store.js';
import { PgStore } from './pg-store.js';
import { SqliteStore } from './sqlite-store.js';

export interface HubConfig {
  readonly file: string;
  readonly listen: string;
  readonly databaseUrl: string;
  readonly operatorTokenFile: string;
  readonly heartbeatMs: number;
}

export async function loadHubConfig(file: string, validator: SchemaValidator): Promise<HubConfig> {
  const yaml = await readConfigFile(file, 'hub', validator);
  const raw = yaml.value as {
    listen: string;
    database: { url: string };
    operatorTokenFile: string;
    heartbeatInterval: string;
  };
  return {
    file,
    listen: raw.listen,
    databaseUrl: raw.database.url,
    operatorTokenFile: raw.operatorTokenFile,
    heartbeatMs: parseDuration(raw.heartbeatInterval) ?? 60_000,
  };
}

export async function openStore(config: HubConfig): Promise<HubStore> {
  const url = config.databaseUrl;
  const store = url.startsWith('sqlite:')
    ? await SqliteStore.open(url.slice('sqlite:'.length))
    : new PgStore(url);
  await store.migrate().catch(async (error: unknown) => {
    await store.close().catch(() => undefined);
    // The URL may hold a password: name only where it points.
    throw new FerryError(
      'FERRY_CONFIG',
      `${config.file}: database ${url.split('@').pop()}: ${error instanceof Error ? error.message : String(error)}`,
      { file: config.file },
      { cause: error },
    );
  });
  return store;
}

export async function readOperatorToken(config: HubConfig): Promise<string> {
  const token = (
    await readFile(config.operatorTokenFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new FerryError(
        'FERRY_CONFIG',
        `cannot read operatorTokenFile ${config.operatorTokenFile}: ${error.code ?? error.message}`,
        { file: config.file },
      );
    })
  ).trim();
  if (token.length < 16)
    throw new FerryError(
      'FERRY_CONFIG',
      `${config.operatorTokenFile}: an operator token needs at least 16 characters`,
      { file: config.file },
    );
  return token;
}
