// Wires a validated DaemonConfig to the real side effects, once per configuration (the daemon
// wires again on a reload, never per pass): engine, images, registry, git, state, clock, logger.
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { SchemaValidator } from '#kernel/validate.js';
import { DockerEngine } from '../apply/docker-engine.js';
import { EngineApi } from '../apply/engine-api.js';
import { EngineEvents } from '../apply/engine-events.js';
import { ShippedStore } from '../apply/shipped-store.js';
import { systemClock } from '../apply/wait-for.js';
import type { DaemonConfig } from '../config/daemon-config.js';
import { readCredentials } from '#kernel/read-credentials.js';
import type { DeviceFacts } from '#kernel/fleet/desired-state.js';
import { BlobStore } from '../fetch/blob-store.js';
import { DockerImages } from '../fetch/docker-images.js';
import { ImageCache } from '../fetch/image-cache.js';
import { ImageFetcher, type DownloadProgress } from '../fetch/image-fetcher.js';
import { RegistryClient } from '#kernel/oci/registry-client.js';
import type { Platform } from '#kernel/oci/resolve-image.js';
import { GitSource } from '../source/git-source.js';
import { SourceTrust } from '../source/source-trust.js';
import { BeaconWatch } from '../source/beacon-watch.js';
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

function platformOf(config: DaemonConfig, facts: DeviceFacts): Platform {
  return {
    os: facts.os ?? 'linux',
    architecture: facts.arch ?? 'amd64',
    ...(config.device.variant ? { variant: config.device.variant } : {}),
  };
}

export function createPassContext(
  config: DaemonConfig,
  validator: SchemaValidator,
  logger: Logger,
  onProgress?: (progress: DownloadProgress) => void,
  onGate?: PassContext['onGate'],
  options: { watchEngine?: boolean } = {},
): PassContext {
  const api = new EngineApi(config.engine.socket);
  // `ferryd run` watches the engine's events, so that a poll that finds nothing new asks nothing.
  const events = options.watchEngine ? new EngineEvents(api) : undefined;
  events?.start();
  const images = new DockerImages(api, events);
  const imageCache = new ImageCache(config.state.dir);
  const facts = deviceFacts(config);
  const source = createSource(config);
  return {
    config,
    engine: new DockerEngine(api, events),
    ...(events ? { close: () => events.close() } : {}),
    images,
    fetcher: createFetcher(config, { images, imageCache, logger, onProgress }),
    imageCache,
    platform: platformOf(config, facts),
    source,
    shipped: new ShippedStore({
      dir: config.state.dir,
      readerAt: (revision) => source.reader(revision),
    }),
    stateFile: new StateFile(config.state.dir),
    validator,
    logger,
    clock: systemClock,
    facts,
    resolvedCache: {},
    trust: new SourceTrust(config, source, logger),
    ...(onGate ? { onGate } : {}),
    ...(config.source.beacon
      ? {
          beacon: new BeaconWatch({
            ...config.source.beacon,
            branch: config.source.branch,
            stateDir: config.state.dir,
          }),
        }
      : {}),
  };
}

function createFetcher(
  config: DaemonConfig,
  ports: Pick<PassContext, 'images' | 'imageCache' | 'logger'> & {
    onProgress: ((progress: DownloadProgress) => void) | undefined;
  },
): ImageFetcher {
  const { registry } = config;
  const client = new RegistryClient({
    credentials: async (host) => {
      const auth = registry.auth[host];
      if (!auth?.username) return undefined;
      return { ...(await readCredentials(auth)), serveraddress: host };
    },
    insecure: registry.insecure,
    mirrors: registry.mirrors,
    logger: ports.logger,
  });
  return new ImageFetcher({
    images: ports.images,
    client,
    blobs: new BlobStore(join(config.state.dir, 'blobs')),
    cache: ports.imageCache,
    logger: ports.logger,
    stateDir: config.state.dir,
    reserveBytes: config.state.reserveBytes,
    parallel: registry.parallelDownloads,
    minBytesPerSecond: registry.minBytesPerSecond,
    slowWindowMs: registry.slowWindowMs,
    deadlineMs: registry.downloadDeadlineMs,
    ...(config.engine.isolateLayers ? { isolateLayers: true } : {}),
    ...(ports.onProgress ? { onProgress: ports.onProgress } : {}),
    ...(registry.maxBytesPerSecond ? { maxBytesPerSecond: registry.maxBytesPerSecond } : {}),
  });
}

function createSource(config: DaemonConfig): GitSource {
  return new GitSource({
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
  });
}
