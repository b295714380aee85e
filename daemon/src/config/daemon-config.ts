// ferryd.yaml: read, validated against schema/ferryd.schema.json (filling defaults), frozen.
import { readConfigFile } from '#kernel/config-file.js';
import { hostname } from 'node:os';
import { FerryError } from '#kernel/errors.js';
import type { LogLevel } from '#kernel/logger.js';
import { isLoopback } from '#kernel/http/token-server.js';
import { parseListen } from '#kernel/listen-address.js';
import type { SchemaValidator } from '#kernel/validate.js';
import { parseDuration } from '#kernel/duration.js';
import type { AuthConfig } from '#kernel/read-credentials.js';

export type { AuthConfig } from '#kernel/read-credentials.js';

export interface DaemonConfig {
  readonly file: string;
  readonly device: {
    readonly id: string;
    readonly arch?: string;
    readonly variant?: string;
    readonly os?: string;
  };
  readonly source: {
    readonly url: string;
    readonly branch: string;
    readonly path: string;
    readonly intervalMs: number;
    readonly auth?: AuthConfig;
    /** Limits on what the git server may send (pack-limits.ts). */
    readonly maxObjectBytes: number;
    readonly maxPackBytes: number;
    readonly idleTimeoutMs: number;
    /** Poll this signed beacon instead of the git server (source.intervalMs is its interval). */
    readonly beacon?: { readonly url: string; readonly publicKey: string };
  };
  readonly log: { readonly level: LogLevel };
  /** Apply only signed commits (docs/security.md); absent, commits are not verified. */
  readonly trust?: {
    readonly allowedSignersFile?: string;
    readonly openpgpKeysFile?: string;
    readonly repositoryFile: string;
  };
  readonly registry: {
    readonly auth: Readonly<Record<string, AuthConfig>>;
    readonly mirrors: Readonly<Record<string, readonly string[]>>;
    readonly insecure: readonly string[];
    readonly maxBytesPerSecond?: number;
    readonly parallelDownloads: number;
    /** A download slower than this over `slowWindowMs` is aborted (and resumed on a later pass). */
    readonly minBytesPerSecond: number;
    readonly slowWindowMs: number;
    /** The longest one pass spends downloading. */
    readonly downloadDeadlineMs: number;
  };
  readonly engine: {
    readonly socket: string;
    readonly namespace: string;
    /** Simulated gateways sharing one engine: only this daemon's own images count as present. */
    readonly isolateLayers?: boolean;
    /** Where the host's `/` is in ferryd's file system (tenant bind mounts are resolved there). */
    readonly hostRoot: string;
  };
  /** reserveBytes: free space ferryd never downloads into (the disk guard). */
  readonly state: { readonly dir: string; readonly reserveBytes: number };
  readonly api: { readonly listen: string; readonly tokenFile?: string };
  /** The fleet hub this gateway reports to (docs/hub.md). */
  readonly report?: {
    readonly url: string;
    readonly tokenFile: string;
    readonly intervalMs: number;
    readonly queueBytes: number;
    /** Enrolls with this secret when tokenFile holds no token yet. */
    readonly enrollmentSecretFile?: string;
    /** The remote operations the hub may ask for. */
    readonly operations: readonly ('logs' | 'restart')[];
  };
}

type RawConfig = Omit<
  DaemonConfig,
  'file' | 'source' | 'device' | 'registry' | 'report' | 'log'
> & {
  log?: { level?: LogLevel };
  report?: Omit<NonNullable<DaemonConfig['report']>, 'intervalMs'> & { interval: string };
  device?: DaemonConfig['device'] | { id?: string };
  source: Omit<DaemonConfig['source'], 'intervalMs' | 'idleTimeoutMs' | 'beacon'> & {
    interval: string;
    idleTimeout?: string;
    beacon?: { url: string; publicKey: string; interval?: string };
  };
  registry?: Partial<
    Omit<DaemonConfig['registry'], 'slowWindowMs' | 'downloadDeadlineMs'> & {
      slowWindow: string;
      downloadDeadline: string;
    }
  >;
};

/** Loads ferryd.yaml; throws InvalidInputError (file:line:col) or FerryError FERRY_CONFIG. */
export async function loadDaemonConfig(
  file: string,
  validator: SchemaValidator,
  defaultId = hostname(),
): Promise<DaemonConfig> {
  const yaml = await readConfigFile(file, 'ferryd', validator);
  const raw = yaml.value as RawConfig;
  const { interval, idleTimeout, beacon, ...source } = raw.source;
  const { slowWindow, downloadDeadline, ...registry } = raw.registry ?? {};
  const config: DaemonConfig = {
    file,
    device: { ...raw.device, id: raw.device?.id ?? defaultId },
    source: {
      ...source,
      intervalMs: parseDuration(beacon?.interval ?? interval) ?? 30_000,
      idleTimeoutMs: parseDuration(idleTimeout ?? '') ?? 60_000,
      ...(beacon ? { beacon: { url: beacon.url, publicKey: beacon.publicKey } } : {}),
    },
    registry: {
      auth: {},
      mirrors: {},
      insecure: [],
      parallelDownloads: 3,
      minBytesPerSecond: 1024,
      ...registry,
      slowWindowMs: parseDuration(slowWindow ?? '') ?? 60_000,
      downloadDeadlineMs: parseDuration(downloadDeadline ?? '') ?? 3_600_000,
    },
    log: { level: raw.log?.level ?? 'info' },
    ...(raw.trust ? { trust: raw.trust } : {}),
    engine: raw.engine,
    state: raw.state,
    api: raw.api,
    ...(raw.report
      ? {
          report: {
            url: raw.report.url,
            tokenFile: raw.report.tokenFile,
            queueBytes: raw.report.queueBytes,
            intervalMs: parseDuration(raw.report.interval) ?? 60_000,
            operations: raw.report.operations,
            ...(raw.report.enrollmentSecretFile
              ? { enrollmentSecretFile: raw.report.enrollmentSecretFile }
              : {}),
          },
        }
      : {}),
  };
  refuseExposedApi(config);
  return deepFreeze(config);
}

/** What `run` would refuse, refused here (so `check-config` says so): an exposed API without a token. */
function refuseExposedApi(config: DaemonConfig): void {
  const { host } = parseListen(config.api.listen);
  if (!isLoopback(host) && !config.api.tokenFile)
    throw new FerryError(
      'FERRY_CONFIG',
      `${config.file}: api.listen ${config.api.listen} is not loopback: set api.tokenFile to expose it`,
      { file: config.file },
    );
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
