// The Docker engine as ferryd uses it, through the Engine API (engine-api.ts). Everything here
// filters on Ferry's labels: an object without `ferry.managed=true` is never listed, so it is
// never touched. dockerode's types describe the API's JSON; its code is not loaded.
import type Docker from 'dockerode';
import { FerryError } from '#kernel/errors.js';
import { isStatus, type EngineApi } from './engine-api.js';
import { unchangedSince, type ChangeFeed } from './engine-events.js';
import type { ContainerState, EngineState, ManagedContainer } from '../plan/engine-state.js';
import type {
  ContainerEngine,
  ContainerStatus,
  ExtraNetwork,
  NetworkOptions,
  VolumeOptions,
} from './container-engine.js';
import { LABEL } from '../plan/labels.js';
import { demuxOutput, readBounded } from './container-output.js';

/** A container's output is read up to this much (its 200 lines may be long) and this long. */
const OUTPUT_READ_BYTES = 1024 * 1024;
const OUTPUT_READ_MS = 5_000;
/** How old a snapshot may be and still answer a `reuse` when the engine is not watched. */
const SNAPSHOT_REUSE_MS = 5_000;
/** A stop, restart or removal waits out the container's grace period (compose allows minutes). */
const CHANGE_IDLE_MS = 15 * 60_000;

export type { ContainerStatus, RegistryCredentials } from './container-engine.js';

interface Snapshot {
  readonly device: string;
  readonly at: number;
  readonly mark: number | undefined;
  readonly state: Promise<EngineState>;
}

export class DockerEngine implements ContainerEngine {
  private readonly api: EngineApi;
  private readonly changes: ChangeFeed | undefined;
  /** The last snapshot taken, its device, when and the change mark then; Ferry's changes drop it. */
  #last: Snapshot | undefined;

  constructor(api: EngineApi, changes?: ChangeFeed) {
    this.api = api;
    this.changes = changes;
  }

  async ping(): Promise<void> {
    await this.api.send({ path: '/_ping' }).catch((error: Error) => {
      throw new FerryError('FERRY_ENGINE', `Docker engine not reachable: ${error.message}`);
    });
  }

  /** The engine's version and where it keeps its data (for the device's report). */
  async facts(): Promise<{ version: string; dataRoot: string }> {
    const [version, info] = await Promise.all([
      this.api.json<{ Version?: string }>({ path: '/version' }),
      this.api.json<{ DockerRootDir?: string }>({ path: '/info' }),
    ]);
    return { version: version.Version ?? '', dataRoot: info.DockerRootDir ?? '' };
  }

  /**
   * Ferry-managed containers, networks and volumes of one device. With `reuse`, the snapshot
   * taken last is answered again when Ferry changed nothing since and either it is at most
   * SNAPSHOT_REUSE_MS old (within a pass) or the engine's events report no change since (a poll
   * that finds nothing new asks the engine nothing).
   */
  snapshot(device: string, options: { reuse?: boolean } = {}): Promise<EngineState> {
    const last = this.#last;
    if (options.reuse && last?.device === device && this.#holds(last)) return last.state;
    const mark = this.changes?.mark();
    const state = this.#list(device);
    const taken = { device, at: Date.now(), mark, state };
    this.#last = taken;
    state.catch(() => {
      if (this.#last === taken) this.#last = undefined;
    });
    return state;
  }

  /** Watched then and now, the events decide; otherwise only a few seconds' age. */
  #holds(last: Snapshot): boolean {
    return unchangedSince(this.changes, last) ?? Date.now() - last.at <= SNAPSHOT_REUSE_MS;
  }

  /** Runs a change to the engine; whatever it did, the last snapshot no longer holds. */
  async #changing<T>(change: Promise<T>): Promise<T> {
    try {
      return await change;
    } finally {
      this.#last = undefined;
    }
  }

  async #list(device: string): Promise<EngineState> {
    const filters = JSON.stringify({
      label: [`${LABEL.managed}=true`, `${LABEL.device}=${device}`],
    });
    const [containers, networks, volumes] = await Promise.all([
      this.api.json<Docker.ContainerInfo[]>({
        path: '/containers/json',
        query: { all: true, filters },
      }),
      this.api.json<Docker.NetworkInspectInfo[]>({ path: '/networks', query: { filters } }),
      this.api.json<{ Volumes?: Docker.VolumeInspectInfo[] }>({
        path: '/volumes',
        query: { filters },
      }),
    ]);
    const owner = (labels: Record<string, string> | undefined) => ({
      deployment: labels?.[LABEL.deployment] ?? '',
      ...(labels?.[LABEL.tenant] ? { tenant: labels[LABEL.tenant] } : {}),
    });
    const object = (name: string, labels: Record<string, string> | undefined) => ({
      name,
      ...owner(labels),
      ...(labels?.[LABEL.object] ? { object: labels[LABEL.object] } : {}),
    });
    return {
      containers: containers.map((c): ManagedContainer => ({
        id: c.Id,
        name: (c.Names[0] ?? '').replace(/^\//, ''),
        ...owner(c.Labels),
        service: c.Labels[LABEL.service] ?? '',
        configHash: c.Labels[LABEL.configHash] ?? '',
        revision: c.Labels[LABEL.revision] ?? '',
        image: c.Labels[LABEL.image] ?? c.Image,
        state: c.State as ContainerState,
      })),
      networks: networks.map((n) => object(n.Name, n.Labels)),
      volumes: (volumes.Volumes ?? []).map((v) => object(v.Name, v.Labels)),
    };
  }

  async createContainer(
    options: Docker.ContainerCreateOptions,
    extraNetworks: readonly ExtraNetwork[],
  ): Promise<void> {
    const { name, ...body } = options;
    const created = this.api
      .json<{ Id: string }>({ method: 'POST', path: '/containers/create', query: { name }, body })
      .then(async (container) => {
        for (const network of extraNetworks)
          await this.api.send({
            method: 'POST',
            path: `/networks/${encodeURIComponent(network.name)}/connect`,
            body: { Container: container.Id, EndpointConfig: network.endpoint },
          });
      });
    await this.#changing(created);
  }

  async start(name: string): Promise<void> {
    await this.#changing(this.#post(`/containers/${encodeURIComponent(name)}/start`));
  }

  async stop(id: string): Promise<void> {
    const stopped = this.#post(`/containers/${id}/stop`).catch((error: unknown) => {
      if (!isStatus(error, 304, 404)) throw error;
    });
    await this.#changing(stopped);
  }

  async remove(id: string): Promise<void> {
    const removed = this.api
      .send({
        method: 'DELETE',
        path: `/containers/${id}`,
        query: { force: true },
        idleMs: CHANGE_IDLE_MS,
      })
      .catch((error: unknown) => {
        if (!isStatus(error, 404)) throw error;
      });
    await this.#changing(removed);
  }

  async restart(id: string): Promise<void> {
    await this.#changing(this.#post(`/containers/${id}/restart`));
  }

  async rename(name: string, to: string): Promise<void> {
    const path = `/containers/${encodeURIComponent(name)}/rename`;
    await this.#changing(this.api.send({ method: 'POST', path, query: { name: to } }));
  }

  /** A POST without a body that may take as long as a container's grace period. */
  #post(path: string): Promise<void> {
    return this.api.send({ method: 'POST', path, idleMs: CHANGE_IDLE_MS });
  }

  async status(name: string): Promise<ContainerStatus> {
    const info = await this.api.json<Docker.ContainerInspectInfo>({
      path: `/containers/${encodeURIComponent(name)}/json`,
    });
    const log = info.State.Health?.Log ?? [];
    const last = log[log.length - 1];
    return {
      state: info.State.Status as ContainerState,
      ...(info.State.Health
        ? { health: info.State.Health.Status as NonNullable<ContainerStatus['health']> }
        : {}),
      exitCode: info.State.ExitCode,
      restartCount: info.RestartCount,
      startedAt: Date.parse(info.State.StartedAt),
      ...(last ? { lastHealthOutput: last.Output.trim() } : {}),
    };
  }

  /** The last `lines` lines a container wrote, read at most up to OUTPUT_READ_BYTES. */
  async output(name: string, lines: number): Promise<string> {
    const stream = await this.api.open({
      path: `/containers/${encodeURIComponent(name)}/logs`,
      query: { stdout: true, stderr: true, tail: lines, follow: false },
      idleMs: OUTPUT_READ_MS,
    });
    return demuxOutput(await readBounded(stream, OUTPUT_READ_BYTES, OUTPUT_READ_MS));
  }

  async createNetwork(options: NetworkOptions): Promise<void> {
    const { name } = options;
    await this.refuseTaken('network', `/networks/${encodeURIComponent(name)}`, name);
    const body = {
      Name: name,
      Driver: options.driver ?? 'bridge',
      Internal: options.internal,
      Labels: options.labels,
      CheckDuplicate: true,
      ...(options.driverOpts ? { Options: { ...options.driverOpts } } : {}),
      ...(options.enableIpv6 ? { EnableIPv6: true } : {}),
      ...(options.attachable ? { Attachable: true } : {}),
      ...(options.ipam ? { IPAM: options.ipam } : {}),
    };
    await this.#changing(this.api.send({ method: 'POST', path: '/networks/create', body }));
  }

  async createVolume(options: VolumeOptions): Promise<void> {
    const { name } = options;
    // The engine answers a create for an existing name with that volume: it would be adopted,
    // whoever made it. Ferry creates only names it does not see as its own (plan-reconcile.ts).
    await this.refuseTaken('volume', `/volumes/${encodeURIComponent(name)}`, name);
    const body = {
      Name: name,
      Labels: options.labels,
      ...(options.driver ? { Driver: options.driver } : {}),
      ...(options.driverOpts ? { DriverOpts: { ...options.driverOpts } } : {}),
    };
    await this.#changing(this.api.send({ method: 'POST', path: '/volumes/create', body }));
  }

  private async refuseTaken(kind: string, path: string, name: string): Promise<void> {
    const existing = await this.api
      .json<{ Labels?: Record<string, string> | null }>({ path })
      .catch((error: unknown) => {
        if (isStatus(error, 404)) return undefined;
        throw error;
      });
    if (!existing) return;
    const labels = existing.Labels ?? {};
    const owner = labels[LABEL.managed]
      ? `device ${labels[LABEL.device] ?? '?'}, ${labels[LABEL.tenant] ? `tenant ${labels[LABEL.tenant]}, ` : ''}deployment ${labels[LABEL.deployment] ?? '?'}`
      : 'not managed by Ferry';
    throw new FerryError(
      'FERRY_ENGINE',
      `${kind} ${name} exists already (${owner}); not adopting it`,
      {
        name,
      },
    );
  }

  async removeNetwork(name: string): Promise<void> {
    const removed = this.api
      .send({ method: 'DELETE', path: `/networks/${encodeURIComponent(name)}` })
      .catch((error: unknown) => {
        if (!isStatus(error, 404)) throw error;
      });
    await this.#changing(removed);
  }
}
