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
  readonly enrollmentSecretFile?: string;
  readonly heartbeatMs: number;
  /** The rollout controller, run inside the hub. */
  readonly rollouts?: HubRollouts;
}

export interface HubRollouts {
  readonly repo: string;
  readonly branch: string;
  readonly path: string;
  readonly reviewBranch?: string;
  readonly signingKey?: string;
  readonly notify?: string;
  readonly stateDir: string;
  readonly intervalMs: number;
}

export async function loadHubConfig(file: string, validator: SchemaValidator): Promise<HubConfig> {
  const yaml = await readConfigFile(file, 'hub', validator);
  const raw = yaml.value as {
    listen: string;
    database: { url: string };
    operatorTokenFile: string;
    enrollmentSecretFile?: string;
    heartbeatInterval: string;
    rollouts?: Omit<HubRollouts, 'intervalMs'> & { interval: string };
  };
  return {
    file,
    listen: raw.listen,
    databaseUrl: raw.database.url,
    operatorTokenFile: raw.operatorTokenFile,
    ...(raw.enrollmentSecretFile ? { enrollmentSecretFile: raw.enrollmentSecretFile } : {}),
    heartbeatMs: parseDuration(raw.heartbeatInterval) ?? 60_000,
    ...(raw.rollouts
      ? {
          rollouts: {
            ...raw.rollouts,
            intervalMs: parseDuration(raw.rollouts.interval) ?? 30_000,
          },
        }
      : {}),
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

export function readOperatorToken(config: HubConfig): Promise<string> {
  return readSecret(config, 'operatorTokenFile', 'an operator token');
}

/** The enrollment secret, when hub.yaml names one. */
export async function readEnrollmentSecret(config: HubConfig): Promise<string | undefined> {
  return config.enrollmentSecretFile
    ? readSecret(config, 'enrollmentSecretFile', 'an enrollment secret')
    : undefined;
}

async function readSecret(
  config: HubConfig,
  setting: 'operatorTokenFile' | 'enrollmentSecretFile',
  what: string,
): Promise<string> {
  const file = config[setting] ?? '';
  const secret = (
    await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new FerryError(
        'FERRY_CONFIG',
        `cannot read ${setting} ${file}: ${error.code ?? error.message}`,
        { file: config.file },
      );
    })
  ).trim();
  if (secret.length < 16)
    throw new FerryError('FERRY_CONFIG', `${file}: ${what} needs at least 16 characters`, {
      file: config.file,
    });
  return secret;
}
