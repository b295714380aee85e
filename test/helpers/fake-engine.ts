// An engine in memory behind ferryd's ContainerEngine port, for unit tests of the executors,
// health gates and rollback. Containers keep their create options and labels; how healthy one is
// comes from the test (`healthOf`), read from its environment, say `VERSION=2` never healthy.
import type {
  ContainerEngine,
  ContainerOptions,
  ContainerStatus,
  NetworkOptions,
  VolumeOptions,
} from '../../daemon/src/apply/container-engine.js';
import type {
  ContainerState,
  EngineState,
  ManagedContainer,
} from '../../daemon/src/plan/engine-state.js';
import { LABEL } from '../../daemon/src/plan/labels.js';
import type { FileSupply, ImageSupply } from '../../daemon/src/apply/execute-steps.js';

export type Health = 'healthy' | 'unhealthy' | 'starting' | 'none';

interface FakeContainer {
  id: string;
  name: string;
  options: ContainerOptions;
  state: ContainerState;
  startedAt: number;
}

interface FakeObject {
  name: string;
  labels: Record<string, string>;
}

export class FakeEngine implements ContainerEngine {
  readonly containers = new Map<string, FakeContainer>();
  readonly networks: FakeObject[] = [];
  readonly volumes: FakeObject[] = [];
  /** Every call, as `method name`, for assertions on order. */
  readonly calls: string[] = [];
  #next = 0;

  constructor(
    private readonly healthOf: (env: readonly string[]) => Health = () => 'healthy',
    private readonly now: () => number = () => 0,
  ) {}

  /** The containers by name, with their environment, as `docker ps` would show them. */
  view(): Record<string, { state: ContainerState; env: readonly string[] }> {
    return Object.fromEntries(
      [...this.containers.values()].map((c) => [
        c.name,
        { state: c.state, env: c.options.Env ?? [] },
      ]),
    );
  }

  #byName(name: string): FakeContainer {
    const found = [...this.containers.values()].find((c) => c.name === name || c.id === name);
    if (!found) throw Object.assign(new Error(`no such container: ${name}`), { statusCode: 404 });
    return found;
  }

  async snapshot(device: string): Promise<EngineState> {
    const mine = (labels: Record<string, string> | undefined) =>
      labels?.[LABEL.managed] === 'true' && labels[LABEL.device] === device;
    const owner = (labels: Record<string, string>) => ({
      deployment: labels[LABEL.deployment] ?? '',
      ...(labels[LABEL.tenant] ? { tenant: labels[LABEL.tenant] } : {}),
    });
    return {
      containers: [...this.containers.values()]
        .filter((c) => mine(c.options.Labels))
        .map((c): ManagedContainer => {
          const labels = c.options.Labels ?? {};
          return {
            id: c.id,
            name: c.name,
            ...owner(labels),
            service: labels[LABEL.service] ?? '',
            configHash: labels[LABEL.configHash] ?? '',
            revision: labels[LABEL.revision] ?? '',
            image: labels[LABEL.image] ?? c.options.Image ?? '',
            state: c.state,
          };
        }),
      networks: this.networks
        .filter((n) => mine(n.labels))
        .map((n) => ({ name: n.name, ...owner(n.labels), object: n.labels[LABEL.object] ?? '' })),
      volumes: this.volumes
        .filter((v) => mine(v.labels))
        .map((v) => ({ name: v.name, ...owner(v.labels), object: v.labels[LABEL.object] ?? '' })),
    };
  }

  async createContainer(options: ContainerOptions): Promise<void> {
    const name = options.name ?? '';
    this.calls.push(`create ${name}`);
    if ([...this.containers.values()].some((c) => c.name === name))
      throw Object.assign(new Error(`Conflict. The container name "/${name}" is already in use`), {
        statusCode: 409,
      });
    const id = `c${++this.#next}`;
    this.containers.set(id, { id, name, options, state: 'created', startedAt: 0 });
  }

  async start(name: string): Promise<void> {
    this.calls.push(`start ${name}`);
    const container = this.#byName(name);
    container.state = 'running';
    container.startedAt = this.now();
  }

  async stop(id: string): Promise<void> {
    this.calls.push(`stop ${this.#byName(id).name}`);
    this.#byName(id).state = 'exited';
  }

  async remove(id: string): Promise<void> {
    const container = [...this.containers.values()].find((c) => c.id === id);
    if (!container) return;
    this.calls.push(`remove ${container.name}`);
    this.containers.delete(id);
  }

  async restart(id: string): Promise<void> {
    this.calls.push(`restart ${id}`);
    const container = this.#byName(id);
    container.state = 'running';
    container.startedAt = this.now();
  }

  async rename(name: string, to: string): Promise<void> {
    this.calls.push(`rename ${name} ${to}`);
    this.#byName(name).name = to;
  }

  async status(name: string): Promise<ContainerStatus> {
    const container = this.#byName(name);
    const health = this.healthOf(container.options.Env ?? []);
    return {
      state: container.state,
      ...(health === 'none' || container.state !== 'running' ? {} : { health }),
      exitCode: 0,
      restartCount: 0,
      startedAt: container.startedAt,
      ...(health === 'unhealthy' ? { lastHealthOutput: 'check failed' } : {}),
    };
  }

  async output(name: string, lines: number): Promise<string> {
    const container = this.#byName(name);
    const env = container.options.Env ?? [];
    const said = env.find((e) => e.startsWith('OUTPUT='))?.slice('OUTPUT='.length) ?? '';
    return said.split('|').slice(-lines).join('\n');
  }

  async createNetwork({ name, labels }: NetworkOptions): Promise<void> {
    this.calls.push(`network ${name}`);
    this.networks.push({ name, labels });
  }

  async createVolume({ name, labels }: VolumeOptions): Promise<void> {
    this.calls.push(`volume ${name}`);
    this.volumes.push({ name, labels });
  }

  async removeNetwork(name: string): Promise<void> {
    const at = this.networks.findIndex((n) => n.name === name);
    if (at >= 0) this.networks.splice(at, 1);
  }
}

/** Images behind the ImageSupply port: what the "engine" has, and every fetch asked for. */
export class FakeImages implements ImageSupply {
  readonly fetched: string[][] = [];
  readonly #have: Set<string>;

  constructor(have: Iterable<string> = []) {
    this.#have = new Set(have);
  }

  async fetch(references: readonly string[]): Promise<void> {
    this.fetched.push([...references]);
    for (const reference of references) this.#have.add(reference);
  }

  idOf(reference: string): string | undefined {
    return this.#have.has(reference) ? `id-of-${reference}` : undefined;
  }

  forget(reference: string): void {
    this.#have.delete(reference);
  }
}

/** Mounts that are not device paths, left as they are (the unit tests use none). */
export const passThroughFiles: FileSupply = { prepare: async (service) => service };
