// What one device should run, as the resolver computes it: the input of ferryd's planner.
import type { Problem } from '../problem.js';
import type { UpdateOrder } from './fleet-model.js';

export type DependencyCondition =
  'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface PortMapping {
  readonly target: number;
  readonly published?: number;
  /** With `published`, a range of host ports the engine picks a free one from. */
  readonly publishedTo?: number;
  readonly protocol: 'tcp' | 'udp';
  readonly hostIp?: string;
}

/**
 * Where a bind mount's content comes from when it is not a path on the device: a file or folder
 * of the repository (content-addressed), a data folder Ferry keeps for the deployment, a config's
 * inline content, or a secret from ferryd's own environment. ferryd turns each into a path.
 */
export type MountOrigin =
  | {
      readonly kind: 'repository';
      readonly path: string;
      readonly digest: string;
      readonly entry: 'file' | 'folder';
    }
  | { readonly kind: 'data'; readonly path: string }
  | {
      readonly kind: 'inline';
      readonly name: string;
      readonly digest: string;
      readonly content: string;
    }
  | { readonly kind: 'environment'; readonly name: string; readonly variable: string };

export interface Mount {
  readonly type: 'volume' | 'bind' | 'tmpfs';
  /** Volume name (as named in the stack), host path for binds, empty for tmpfs. */
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
  /**
   * Whether a missing bind source is created as a folder. Absent: yes, as Compose's short syntax
   * does; the long syntax says `false` unless it asks for `create_host_path`.
   */
  readonly createHostPath?: boolean;
  readonly propagation?: 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave';
  /** SELinux relabelling: `z` shared, `Z` private. */
  readonly selinux?: 'z' | 'Z';
  /** Do not copy the image's files into an empty volume. */
  readonly noCopy?: boolean;
  readonly subpath?: string;
  readonly tmpfsSizeBytes?: number;
  readonly tmpfsMode?: number;
  /** Not a device path: see MountOrigin. */
  readonly origin?: MountOrigin;
  /** Owner and mode of a config or secret file (`configs: [{ uid, gid, mode }]`). */
  readonly file?: { readonly uid?: string; readonly gid?: string; readonly mode?: number };
}

/** How a service joins one of its networks, beyond its service name as an alias. */
export interface Endpoint {
  readonly aliases?: readonly string[];
  readonly ipv4Address?: string;
  readonly ipv6Address?: string;
}

/** A GPU or other device the engine hands over by driver (`gpus`, `deploy...devices`). */
export interface DeviceRequest {
  /** The key that asked for it. */
  readonly from: 'gpus' | 'deploy';
  readonly driver?: string;
  /** -1 for all. */
  readonly count?: number;
  readonly deviceIds?: readonly string[];
  readonly capabilities: readonly string[];
  readonly options?: Readonly<Record<string, string>>;
}

/** Limits beyond memory, CPUs and processes (which predate this and stay where they were). */
export interface ResourceLimits {
  readonly memReservationBytes?: number;
  readonly memSwappiness?: number;
  readonly memswapLimitBytes?: number;
  readonly cpuShares?: number;
  readonly cpuQuota?: number;
  readonly cpuPeriod?: number;
  readonly cpuRtPeriod?: number;
  readonly cpuRtRuntime?: number;
  readonly cpuset?: string;
  readonly shmSizeBytes?: number;
  readonly blkioWeight?: number;
  readonly blkioWeightDevice?: readonly { readonly path: string; readonly weight: number }[];
  readonly blkioDeviceReadBps?: readonly { readonly path: string; readonly rate: number }[];
  readonly blkioDeviceWriteBps?: readonly { readonly path: string; readonly rate: number }[];
  readonly blkioDeviceReadIOps?: readonly { readonly path: string; readonly rate: number }[];
  readonly blkioDeviceWriteIOps?: readonly { readonly path: string; readonly rate: number }[];
  readonly oomKillDisable?: boolean;
  readonly oomScoreAdj?: number;
}

/**
 * Namespaces shared with the host or another container. `service:NAME` names a service of the
 * same deployment (the engine gets its container); `container:NAME` a container outside Ferry.
 */
export interface Namespaces {
  readonly pid?: string;
  readonly ipc?: string;
  readonly uts?: string;
  readonly userns?: string;
  readonly cgroup?: 'host' | 'private';
}

export interface Healthcheck {
  readonly test: readonly string[];
  readonly intervalMs?: number;
  readonly timeoutMs?: number;
  readonly retries?: number;
  readonly startPeriodMs?: number;
  readonly startIntervalMs?: number;
}

export interface BuildSpec {
  /** Build context relative to the fleet root. */
  readonly context: string;
  readonly dockerfile: string;
  readonly args: Readonly<Record<string, string>>;
  readonly target?: string;
  readonly platforms: readonly string[];
}

export interface DesiredService {
  readonly name: string;
  /** `[tenant_]deployment.service` (plan/labels.ts); ferryd prefixes its engine namespace. */
  readonly containerName: string;
  readonly image: string;
  readonly build?: BuildSpec;
  readonly command?: readonly string[];
  readonly entrypoint?: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
  readonly ports: readonly PortMapping[];
  readonly mounts: readonly Mount[];
  /** Stack network names the service joins (empty with a network_mode). */
  readonly networks: readonly string[];
  readonly networkMode?: string;
  readonly restart: 'no' | 'always' | 'on-failure' | 'unless-stopped';
  readonly healthcheck?: Healthcheck;
  readonly dependsOn: readonly {
    readonly service: string;
    readonly condition: DependencyCondition;
    /** `required: false`: the service starts even when this one is not there or fails. */
    readonly optional?: boolean;
    /** `restart: true`: recreated whenever the dependency is. */
    readonly restartWith?: boolean;
  }[];
  readonly devices: readonly string[];
  readonly privileged: boolean;
  readonly capAdd: readonly string[];
  readonly capDrop: readonly string[];
  readonly user?: string;
  readonly workingDir?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly memLimitBytes?: number;
  readonly cpus?: number;
  readonly pidsLimit?: number;
  readonly stopGracePeriodMs?: number;
  readonly stopSignal?: string;
  readonly extraHosts: readonly string[];
  readonly tmpfs: readonly string[];
  readonly readOnly: boolean;
  readonly ulimits: Readonly<Record<string, { readonly soft: number; readonly hard: number }>>;
  readonly sysctls: Readonly<Record<string, string>>;
  readonly logging?: {
    readonly driver: string;
    readonly options: Readonly<Record<string, string>>;
  };
  // Fields below are omitted when unset, so a container defined before they existed keeps its
  // config hash (and is not recreated by an upgrade of Ferry).
  /** The `container_name` the stack asked for (the engine name, with ferryd's namespace). */
  readonly fixedName?: string;
  readonly hostname?: string;
  readonly domainname?: string;
  /** Ports exposed without publishing, as `PORT/PROTOCOL`. */
  readonly expose?: readonly string[];
  readonly endpoints?: Readonly<Record<string, Endpoint>>;
  readonly dns?: readonly string[];
  readonly dnsOptions?: readonly string[];
  readonly dnsSearch?: readonly string[];
  readonly macAddress?: string;
  readonly namespaces?: Namespaces;
  readonly securityOpt?: readonly string[];
  readonly groupAdd?: readonly string[];
  readonly init?: boolean;
  readonly stdinOpen?: boolean;
  readonly tty?: boolean;
  readonly runtime?: string;
  readonly cgroupParent?: string;
  readonly deviceCgroupRules?: readonly string[];
  readonly deviceRequests?: readonly DeviceRequest[];
  readonly limits?: ResourceLimits;
  /** With restart `on-failure`, how often at most. */
  readonly restartMaxRetries?: number;
  readonly annotations?: Readonly<Record<string, string>>;
  /** `service:NAME[:ro]` or `container:NAME[:ro]`. */
  readonly volumesFrom?: readonly string[];
  /** sha256 of everything above that defines the container, image digest included. */
  readonly configHash: string;
}

export interface DesiredNetwork {
  readonly name: string;
  /** `[tenant_]deployment.network`, or the stack's `name:`, before the engine namespace. */
  readonly engineName: string;
  readonly internal: boolean;
  /** Made outside this deployment (by hand, or by another deployment): never created here. */
  readonly external?: boolean;
  readonly driver?: string;
  readonly driverOpts?: Readonly<Record<string, string>>;
  readonly enableIpv6?: boolean;
  readonly attachable?: boolean;
  readonly labels?: Readonly<Record<string, string>>;
  readonly ipam?: {
    readonly driver?: string;
    readonly config: readonly {
      readonly subnet?: string;
      readonly ipRange?: string;
      readonly gateway?: string;
      readonly auxAddresses?: Readonly<Record<string, string>>;
    }[];
    readonly options?: Readonly<Record<string, string>>;
  };
}

export interface DesiredVolume {
  readonly name: string;
  readonly engineName: string;
  readonly external?: boolean;
  readonly driver?: string;
  readonly driverOpts?: Readonly<Record<string, string>>;
  readonly labels?: Readonly<Record<string, string>>;
}

/** Where a tenant's bind mount was written, for errors found on the device. */
export interface BindSite {
  readonly service: string;
  readonly index: number;
  readonly at: Omit<Problem, 'message'>;
}

export interface DesiredDeployment {
  readonly name: string;
  readonly tenant?: string;
  readonly stack: string;
  /** The commit whose stack applies: the fleet revision, or `rollout.previous` outside the rollout. */
  readonly stackRevision: string | null;
  readonly rollout?: {
    /** The current step's percentage (devices whose bucket is below it take this revision). */
    readonly percent: number;
    readonly bucket: number;
    readonly selected: boolean;
    /** The rollout controller paused it: the step does not move on. */
    readonly paused?: boolean;
    /** The percentages the controller promotes through. */
    readonly steps?: readonly number[];
  };
  readonly update: {
    readonly order: UpdateOrder;
    readonly healthTimeoutMs: number;
    readonly rollback: boolean;
  };
  readonly window?: { readonly cron: string; readonly durationMs: number };
  readonly services: readonly DesiredService[];
  /** A tenant's granted bind folders and bind mounts; ferryd checks their real paths. */
  readonly tenantBinds?: {
    readonly folders: readonly string[];
    readonly sites: readonly BindSite[];
  };
  readonly networks: readonly DesiredNetwork[];
  readonly volumes: readonly DesiredVolume[];
}

export interface DeviceFacts {
  readonly arch?: string;
  readonly os?: string;
}

export interface DesiredState {
  readonly device: string;
  readonly revision: string | null;
  readonly labels: Readonly<Record<string, string>>;
  readonly deployments: readonly DesiredDeployment[];
}
