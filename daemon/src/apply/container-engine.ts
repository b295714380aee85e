// The port through which ferryd changes containers: what the executors, health gates and rollback
// need of an engine. DockerEngine implements it against the Docker Engine API; the tests' fake
// (test/helpers/fake-engine.ts) in memory, so rollback and gates get unit tests without Docker.
import type Docker from 'dockerode';
import type { EngineState, ContainerState } from '../plan/engine-state.js';

export interface ContainerStatus {
  readonly state: ContainerState;
  readonly health?: 'starting' | 'healthy' | 'unhealthy';
  readonly exitCode: number;
  readonly restartCount: number;
  /** Epoch ms the engine last started the container. */
  readonly startedAt: number;
  readonly lastHealthOutput?: string;
}

export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
  readonly serveraddress: string;
}

/** Container create options in the Engine API's shape (what container-spec.ts produces). */
export type ContainerOptions = Docker.ContainerCreateOptions;

/** A network joined after create, with the container's aliases and address on it. */
export interface ExtraNetwork {
  readonly name: string;
  readonly endpoint: Docker.EndpointSettings;
}

/** A network or volume to create, with Ferry's labels. */
export interface NetworkOptions {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly internal: boolean;
  readonly driver?: string;
  readonly driverOpts?: Readonly<Record<string, string>>;
  readonly enableIpv6?: boolean;
  readonly attachable?: boolean;
  readonly ipam?: Docker.IPAM;
}

export interface VolumeOptions {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly driver?: string;
  readonly driverOpts?: Readonly<Record<string, string>>;
}

export interface ContainerEngine {
  /**
   * Ferry's objects of `device`: containers, networks and volumes. `reuse` allows the answer of
   * the last snapshot when Ferry has changed nothing since and it is a few seconds old at most.
   */
  snapshot(device: string, options?: { reuse?: boolean }): Promise<EngineState>;
  createContainer(options: ContainerOptions, extraNetworks: readonly ExtraNetwork[]): Promise<void>;
  start(name: string): Promise<void>;
  stop(id: string): Promise<void>;
  remove(id: string): Promise<void>;
  /** Stops and starts a container again (a remote operation an operator asked for). */
  restart(id: string): Promise<void>;
  rename(name: string, to: string): Promise<void>;
  status(name: string): Promise<ContainerStatus>;
  /** The last `lines` lines of a container's output (stdout and stderr), as text. */
  output(name: string, lines: number): Promise<string>;
  createNetwork(options: NetworkOptions): Promise<void>;
  createVolume(options: VolumeOptions): Promise<void>;
  removeNetwork(name: string): Promise<void>;
}
