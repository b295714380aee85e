// The Docker engine as ferryd uses it, through dockerode. Everything here filters on Ferry's
// labels: an object without `ferry.managed=true` is never listed, so it is never touched.
import type Docker from 'dockerode';
import { FerryError } from '#kernel/errors.js';
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

export type { ContainerStatus, RegistryCredentials } from './container-engine.js';

export class DockerEngine implements ContainerEngine {
  private readonly docker: Docker;

  constructor(docker: Docker) {
    this.docker = docker;
  }

  async ping(): Promise<void> {
    await this.docker.ping().catch((error: Error) => {
      throw new FerryError('FERRY_ENGINE', `Docker engine not reachable: ${error.message}`);
    });
  }

  /** The engine's version and where it keeps its data (for the device's report). */
  async facts(): Promise<{ version: string; dataRoot: string }> {
    const [version, info] = await Promise.all([this.docker.version(), this.docker.info()]);
    return { version: version.Version, dataRoot: String(info.DockerRootDir ?? '') };
  }

  /** Ferry-managed containers, networks and volumes of one device. */
  async snapshot(device: string): Promise<EngineState> {
    const filters = JSON.stringify({
      label: [`${LABEL.managed}=true`, `${LABEL.device}=${device}`],
    });
    const [containers, networks, volumes] = await Promise.all([
      this.docker.listContainers({ all: true, filters }),
      this.docker.listNetworks({ filters }),
      this.docker.listVolumes({ filters }),
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
    const container = await this.docker.createContainer(options);
    for (const network of extraNetworks)
      await this.docker
        .getNetwork(network.name)
        .connect({ Container: container.id, EndpointConfig: network.endpoint });
  }

  async start(name: string): Promise<void> {
    await this.docker.getContainer(name).start();
  }

  async stop(id: string): Promise<void> {
    await this.docker
      .getContainer(id)
      .stop()
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 304 && error.statusCode !== 404) throw error;
      });
  }

  async remove(id: string): Promise<void> {
    await this.docker
      .getContainer(id)
      .remove({ force: true })
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 404) throw error;
      });
  }

  async restart(id: string): Promise<void> {
    await this.docker.getContainer(id).restart();
  }

  async rename(name: string, to: string): Promise<void> {
    await this.docker.getContainer(name).rename({ name: to });
  }

  async status(name: string): Promise<ContainerStatus> {
    const info = await this.docker.getContainer(name).inspect();
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
    const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) => {
      this.docker.modem.dial(
        {
          path: `/containers/${encodeURIComponent(name)}/logs?`,
          method: 'GET',
          options: { stdout: true, stderr: true, tail: lines, follow: false },
          isStream: true,
          statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
        },
        (error, result) => (error ? reject(error) : resolve(result as NodeJS.ReadableStream)),
      );
    });
    return demuxOutput(await readBounded(stream, OUTPUT_READ_BYTES, OUTPUT_READ_MS));
  }

  async createNetwork(options: NetworkOptions): Promise<void> {
    const { name } = options;
    await this.refuseTaken('network', () => this.docker.getNetwork(name).inspect(), name);
    await this.docker.createNetwork({
      Name: name,
      Driver: options.driver ?? 'bridge',
      Internal: options.internal,
      Labels: options.labels,
      CheckDuplicate: true,
      ...(options.driverOpts ? { Options: { ...options.driverOpts } } : {}),
      ...(options.enableIpv6 ? { EnableIPv6: true } : {}),
      ...(options.attachable ? { Attachable: true } : {}),
      ...(options.ipam ? { IPAM: options.ipam } : {}),
    });
  }

  async createVolume(options: VolumeOptions): Promise<void> {
    const { name } = options;
    // The engine answers a create for an existing name with that volume: it would be adopted,
    // whoever made it. Ferry creates only names it does not see as its own (plan-reconcile.ts).
    await this.refuseTaken('volume', () => this.docker.getVolume(name).inspect(), name);
    await this.docker.createVolume({
      Name: name,
      Labels: options.labels,
      ...(options.driver ? { Driver: options.driver } : {}),
      ...(options.driverOpts ? { DriverOpts: { ...options.driverOpts } } : {}),
    });
  }

  private async refuseTaken(
    kind: string,
    inspect: () => Promise<{ Labels?: Record<string, string> | null | undefined }>,
    name: string,
  ): Promise<void> {
    const existing = await inspect().catch((error: { statusCode?: number }) => {
      if (error.statusCode === 404) return undefined;
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
    await this.docker
      .getNetwork(name)
      .remove()
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 404) throw error;
      });
  }
}
