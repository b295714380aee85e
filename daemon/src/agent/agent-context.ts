// Wires a validated DaemonConfig to the real side effects: engine, git source, state, logger.
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { SchemaValidator } from '../../../schema/src/validate.js';
import { DockerEngine, type RegistryCredentials } from '../apply/docker-engine.js';
import { systemClock } from '../apply/wait-for.js';
import type { DaemonConfig } from '../config/daemon-config.js';
import { readCredentials } from '../config/read-credentials.js';
import type { DeviceFacts } from '../desired/desired-state.js';
import { BlobStore } from '../fetch/blob-store.js';
import { ImageCache } from '../fetch/image-cache.js';
import { ImageFetcher, type DownloadProgress } from '../fetch/image-fetcher.js';
import { RegistryClient } from '../fetch/registry-client.js';
import { GitSource } from '../source/git-source.js';
import { StateFile } from '../state/state-file.js';
import type { PassContext } from './reconcile-pass.js';

/** Docker's architecture names for Node's. */
const ARCH: Readonly<Record<string, string>> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
};

export function deviceFacts(config: DaemonConfig): DeviceFacts {
  return {
    arch: config.device.arch ?? ARCH[process.arch] ?? process.arch,
    os: config.device.os ?? 'linux',
  };
}

/** The registry host of an image reference (`docker.io` when it names none). */
export function registryHost(image: string): string {
  const first = image.split('/')[0] ?? '';
  return image.includes('/') &&
    (first.includes('.') || first.includes(':') || first === 'localhost')
    ? first
    : 'docker.io';
}

export function createPassContext(
  config: DaemonConfig,
  validator: SchemaValidator,
  logger: Logger,
  onProgress?: (progress: DownloadProgress) => void,
): PassContext {
  const engine = new DockerEngine(config.engine.socket);
  // Registry credentials by host: for Ferry's own client, and for the engine's pull fallback.
  const hostCredentials = async (host: string): Promise<RegistryCredentials | undefined> => {
    const auth = config.registry.auth[host];
    if (!auth?.username) return undefined;
    return { ...(await readCredentials(auth)), serveraddress: host };
  };
  const credentialsFor = (image: string) => hostCredentials(registryHost(image));
  const imageCache = new ImageCache(config.state.dir);
  const facts = deviceFacts(config);
  const client = new RegistryClient({
    credentials: hostCredentials,
    insecure: config.registry.insecure,
    mirrors: config.registry.mirrors,
    logger,
  });
  const fetcher = new ImageFetcher({
    docker: engine.docker,
    client,
    blobs: new BlobStore(join(config.state.dir, 'blobs')),
    cache: imageCache,
    logger,
    stateDir: config.state.dir,
    reserveBytes: config.state.reserveBytes,
    parallel: config.registry.parallelDownloads,
    minBytesPerSecond: config.registry.minBytesPerSecond,
    slowWindowMs: config.registry.slowWindowMs,
    deadlineMs: config.registry.downloadDeadlineMs,
    ...(config.engine.isolateLayers ? { isolateLayers: true } : {}),
    ...(onProgress ? { onProgress } : {}),
    ...(config.registry.maxBytesPerSecond
      ? { maxBytesPerSecond: config.registry.maxBytesPerSecond }
      : {}),
  });
  return {
    config,
    engine,
    fetcher,
    imageCache,
    platform: {
      os: facts.os ?? 'linux',
      architecture: facts.arch ?? 'amd64',
      ...(config.device.variant ? { variant: config.device.variant } : {}),
    },
    source: new GitSource({
      url: config.source.url,
      branch: config.source.branch,
      path: config.source.path,
      gitdir: join(config.state.dir, 'fleet.git'),
      limits: {
        maxObjectBytes: config.source.maxObjectBytes,
        maxPackBytes: config.source.maxPackBytes,
        idleMs: config.source.idleTimeoutMs,
      },
      ...(config.source.auth ? { auth: config.source.auth } : {}),
    }),
    stateFile: new StateFile(config.state.dir),
    validator,
    logger,
    execute: { engine, device: config.device.id, logger, clock: systemClock, credentialsFor },
    facts,
    now: () => new Date(),
  };
}
