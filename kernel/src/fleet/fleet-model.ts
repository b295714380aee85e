// The fleet repository as loaded and validated: plain, frozen data the resolver works on.
import type { RolloutSpec } from './rollout.js';
import type { ComposeFile } from './compose-model.js';
import type { StackFiles } from './stack-files.js';
import type { YamlFile } from '../yaml-file.js';

export type UpdateOrder = 'start-first' | 'stop-first';

export interface UpdatePolicy {
  readonly order?: UpdateOrder;
  readonly healthTimeout?: string;
  readonly rollback?: boolean;
}

export interface Deployment {
  readonly name: string;
  /** Folder of the stack, normalised relative to the fleet root, e.g. `stacks/bms-collector`. */
  readonly stack: string;
  readonly target: {
    readonly labels?: Readonly<Record<string, string>>;
    readonly devices?: readonly string[];
  };
  readonly tenant?: string;
  readonly update?: UpdatePolicy;
  readonly rollout?: RolloutSpec;
  readonly window?: { readonly cron: string; readonly duration: string };
  /** Compose profiles enabled for this deployment. */
  readonly profiles?: readonly string[];
}

/** What a tenant's containers may ask of the host; everything not granted here is refused. */
export interface TenantPolicy {
  readonly privileged?: boolean;
  readonly hostNetwork?: boolean;
  /** `network_mode: bridge`: the engine's default network, shared with other tenants. */
  readonly bridgeNetwork?: boolean;
  readonly devices?: readonly string[];
  readonly bindMounts?: readonly string[];
  /** Capabilities `cap_add` may name, e.g. NET_BIND_SERVICE. */
  readonly capabilities?: readonly string[];
  /** Sysctl names, or prefixes ending in `.*`. */
  readonly sysctls?: readonly string[];
  /** Host ports as `ADDRESS:PORT[-PORT]`; 0.0.0.0 grants every IPv4 address. */
  readonly ports?: readonly string[];
  /** Logging drivers beyond json-file, local and none. */
  readonly loggingDrivers?: readonly string[];
  /** Ulimit names a service may set. */
  readonly ulimits?: readonly string[];
  /** Namespaces a service may share with the host (`pid: host`, `ipc: host`, ...). */
  readonly hostNamespaces?: readonly ('pid' | 'ipc' | 'uts' | 'userns' | 'cgroup')[];
  /** `security_opt` entries beyond `no-new-privileges`. */
  readonly securityOpt?: readonly string[];
  readonly runtimes?: readonly string[];
  /** Devices handed over by driver: `gpus`, `deploy.resources.reservations.devices`. */
  readonly gpus?: boolean;
  readonly deviceCgroupRules?: boolean;
  /** Network drivers beyond bridge (macvlan, ipvlan put containers on the host's network). */
  readonly networkDrivers?: readonly string[];
  /** Networks and volumes made outside the deployment that it may use (`external: true`). */
  readonly externalNetworks?: readonly string[];
  readonly externalVolumes?: readonly string[];
  /** `oom_kill_disable`, and a negative `oom_score_adj`. */
  readonly oomProtection?: boolean;
  readonly cgroupParent?: boolean;
}

export interface FleetFile {
  readonly apiVersion: 'ferry/v1';
  readonly kind: 'Fleet';
  readonly deployments: readonly Deployment[];
  readonly defaults?: {
    readonly update?: UpdatePolicy;
    /** Where images of services that build but name no image go: REGISTRY/STACK-SERVICE. */
    readonly registry?: string;
  };
  readonly policy?: {
    readonly tenants?: Readonly<Record<string, TenantPolicy>>;
    /** Refuse services whose image is given by tag, not pinned by digest. */
    readonly requirePinnedImages?: boolean;
  };
}

export interface DeviceFile {
  readonly labels?: Readonly<Record<string, string>>;
  readonly vars?: Readonly<Record<string, string>>;
}

/** A compose file with what it pulls in from the repository (env files), plus positions. */
export interface LoadedStack {
  /** Stack folder relative to the fleet root. */
  readonly path: string;
  /** Path of its compose file as shown in messages (compose.yaml, or docker-compose.yml ...). */
  readonly file: string;
  readonly yaml: YamlFile;
  /** The compose file as validated by the schema (before interpolation), typed. */
  readonly compose: ComposeFile;
  /** Files and folders the stack ships from the repository, by repository path. */
  readonly files: StackFiles;
  /** The stack's `.env`: defaults for interpolation, below the device's own vars (as in Compose). */
  readonly dotEnv?: Readonly<Record<string, string>>;
  /** env_file contents by the path written in the compose file. */
  readonly envFiles: ReadonlyMap<string, readonly EnvFileEntry[]>;
}

export interface EnvFileEntry {
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

export interface LoadedDevice {
  readonly id: string;
  readonly file: string;
  readonly yaml: YamlFile;
  readonly spec: DeviceFile;
}

/** Everything the resolver needs from one revision of the fleet repository. */
export interface LoadedFleet {
  /** Commit the fleet was read at, or null for a plain directory. */
  readonly revision: string | null;
  readonly fleetYaml: YamlFile;
  readonly fleet: FleetFile;
  readonly devices: ReadonlyMap<string, LoadedDevice>;
  /** Stacks of this revision, by stack path. */
  readonly stacks: ReadonlyMap<string, LoadedStack>;
  /** Stacks of `rollout.previous` revisions: revision -> stack path -> stack. */
  readonly previousStacks: ReadonlyMap<string, ReadonlyMap<string, LoadedStack>>;
  /** Stack paths whose compose file is there but could not be read (its problems are reported). */
  readonly unreadable?: ReadonlySet<string>;
}
