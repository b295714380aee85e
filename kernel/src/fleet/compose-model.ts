// A Compose file as schema/compose.schema.json admits it, typed once here beside the schema. The
// loader validates every stack against the schema before anything reads it as these types, so the
// resolver works on typed values instead of casting. A key added to the schema is added here too:
// SERVICE_KEYS (tenant-policy.ts) is keyed by ComposeService, and its test walks the schema.
import type {
  ComposeConfig,
  ComposeNetwork,
  ComposeSecret,
  ComposeVolume,
} from './compose-objects.js';

export type StringOrList = string | readonly string[];
export type StringMapOrList =
  readonly string[] | Readonly<Record<string, string | number | boolean | null>>;
/** `30s`, `1m30s`, `500ms` (the schema checks the pattern). */
export type ComposeDuration = string;
/** Bytes, or a size such as `64m`, `1gb`. */
export type ByteSize = string | number;
export type DependencyCondition =
  'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface ComposeBuildLong {
  readonly context: string;
  readonly dockerfile?: string;
  readonly args?: StringMapOrList;
  readonly target?: string;
  readonly platforms?: readonly string[];
  readonly labels?: StringMapOrList;
  readonly cache_from?: readonly string[];
  readonly network?: string;
  readonly shm_size?: ByteSize;
  readonly extra_hosts?: ComposeExtraHosts;
  readonly pull?: boolean;
  readonly no_cache?: boolean;
  readonly tags?: readonly string[];
}

export interface ComposePortLong {
  readonly target: number | string;
  readonly published?: number | string;
  readonly protocol?: 'tcp' | 'udp';
  readonly host_ip?: string;
  readonly mode?: 'host' | 'ingress';
  readonly name?: string;
  readonly app_protocol?: string;
}
export type ComposePort = string | number | ComposePortLong;

export interface ComposeMountLong {
  readonly type: 'volume' | 'bind' | 'tmpfs';
  readonly source?: string;
  readonly target: string;
  readonly read_only?: boolean;
  readonly consistency?: string;
  readonly bind?: {
    readonly propagation?: 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave';
    readonly create_host_path?: boolean;
    readonly selinux?: 'z' | 'Z';
  };
  readonly volume?: { readonly nocopy?: boolean; readonly subpath?: string };
  readonly tmpfs?: { readonly size?: ByteSize; readonly mode?: string | number };
}
export type ComposeMount = string | ComposeMountLong;

export interface ComposeServiceNetwork {
  readonly aliases?: readonly string[];
  readonly ipv4_address?: string;
  readonly ipv6_address?: string;
  readonly priority?: number;
}
export type ComposeServiceNetworks =
  readonly string[] | Readonly<Record<string, ComposeServiceNetwork | null>>;

export interface ComposeHealthcheck {
  readonly test?: StringOrList;
  readonly interval?: ComposeDuration;
  readonly timeout?: ComposeDuration;
  readonly retries?: number;
  readonly start_period?: ComposeDuration;
  readonly start_interval?: ComposeDuration;
  readonly disable?: boolean;
}

export interface ComposeDependency {
  readonly condition: DependencyCondition;
  readonly required?: boolean;
  readonly restart?: boolean;
}
export type ComposeDependsOn = readonly string[] | Readonly<Record<string, ComposeDependency>>;

export interface ComposeDeviceRequest {
  readonly capabilities?: readonly string[];
  readonly count?: number | 'all';
  readonly device_ids?: readonly string[];
  readonly driver?: string;
  readonly options?: Readonly<Record<string, string | number>>;
}

export interface ComposeLimits {
  readonly cpus?: string | number;
  readonly memory?: ByteSize;
  readonly pids?: number;
}

export interface ComposeDeploy {
  readonly mode?: 'replicated';
  readonly replicas?: number;
  readonly resources?: {
    readonly limits?: ComposeLimits;
    readonly reservations?: {
      readonly cpus?: string | number;
      readonly memory?: ByteSize;
      readonly devices?: readonly ComposeDeviceRequest[];
    };
  };
  readonly restart_policy?: {
    readonly condition?: 'none' | 'on-failure' | 'any';
    readonly delay?: ComposeDuration;
    readonly max_attempts?: number;
    readonly window?: ComposeDuration;
  };
  readonly labels?: StringMapOrList;
}

export type ComposeUlimit =
  number | string | { readonly soft: number | string; readonly hard: number | string };

export interface ComposeLogging {
  readonly driver?: string;
  readonly options?: Readonly<Record<string, string | number | null>>;
}

export type ComposeExtraHosts =
  readonly string[] | Readonly<Record<string, string | readonly string[]>>;

export interface ComposeBlkioLimit {
  readonly path: string;
  readonly rate: number | string;
}

export interface ComposeBlkio {
  readonly weight?: number;
  readonly weight_device?: readonly { readonly path: string; readonly weight: number }[];
  readonly device_read_bps?: readonly ComposeBlkioLimit[];
  readonly device_write_bps?: readonly ComposeBlkioLimit[];
  readonly device_read_iops?: readonly ComposeBlkioLimit[];
  readonly device_write_iops?: readonly ComposeBlkioLimit[];
}

/** A service's `configs:` or `secrets:` entry: a name, or where and how to mount it. */
export type ComposeFileReference =
  | string
  | {
      readonly source: string;
      readonly target?: string;
      readonly uid?: string | number;
      readonly gid?: string | number;
      readonly mode?: string | number;
    };

export type ComposeDevice =
  string | { readonly source: string; readonly target?: string; readonly permissions?: string };

export type ComposeEnvFile =
  | string
  | readonly (
      string | { readonly path: string; readonly required?: boolean; readonly format?: 'raw' }
    )[];

export interface ComposeService {
  readonly image?: string;
  readonly build?: string | ComposeBuildLong;
  readonly annotations?: StringMapOrList;
  readonly attach?: boolean;
  readonly blkio_config?: ComposeBlkio;
  readonly cap_add?: readonly string[];
  readonly cap_drop?: readonly string[];
  readonly cgroup?: 'host' | 'private';
  readonly cgroup_parent?: string;
  readonly command?: StringOrList | null;
  readonly configs?: readonly ComposeFileReference[];
  readonly container_name?: string;
  readonly cpu_shares?: string | number;
  readonly cpu_quota?: string | number;
  readonly cpu_period?: string | number;
  readonly cpu_rt_period?: string | number;
  readonly cpu_rt_runtime?: string | number;
  readonly cpus?: string | number;
  readonly cpuset?: string;
  readonly depends_on?: ComposeDependsOn;
  readonly deploy?: ComposeDeploy;
  /** `docker compose watch` settings: for a developer's machine. */
  readonly develop?: object;
  readonly device_cgroup_rules?: readonly string[];
  readonly devices?: readonly ComposeDevice[];
  readonly dns?: StringOrList;
  readonly dns_opt?: readonly string[];
  readonly dns_search?: StringOrList;
  readonly domainname?: string;
  readonly entrypoint?: StringOrList | null;
  readonly env_file?: ComposeEnvFile;
  readonly environment?: StringMapOrList;
  readonly expose?: readonly (string | number)[];
  readonly extra_hosts?: ComposeExtraHosts;
  readonly gpus?: 'all' | readonly ComposeDeviceRequest[];
  readonly group_add?: readonly (string | number)[];
  readonly healthcheck?: ComposeHealthcheck;
  readonly hostname?: string;
  readonly init?: boolean;
  readonly ipc?: string;
  readonly labels?: StringMapOrList;
  readonly links?: readonly string[];
  readonly logging?: ComposeLogging;
  readonly mac_address?: string;
  readonly mem_limit?: ByteSize;
  readonly mem_reservation?: ByteSize;
  readonly mem_swappiness?: number;
  readonly memswap_limit?: ByteSize;
  readonly network_mode?: string;
  readonly networks?: ComposeServiceNetworks;
  readonly oom_kill_disable?: boolean;
  readonly oom_score_adj?: number;
  readonly pid?: string | null;
  readonly pids_limit?: number | string;
  readonly platform?: string;
  readonly ports?: readonly ComposePort[];
  readonly privileged?: boolean;
  readonly profiles?: readonly string[];
  readonly pull_policy?: string;
  readonly read_only?: boolean;
  /** `no`, `always`, `unless-stopped`, `on-failure[:N]`. */
  readonly restart?: string;
  readonly runtime?: string;
  /** Only 1: Ferry runs one container per service. */
  readonly scale?: number;
  readonly secrets?: readonly ComposeFileReference[];
  readonly security_opt?: readonly string[];
  readonly shm_size?: ByteSize;
  readonly stdin_open?: boolean;
  readonly stop_grace_period?: ComposeDuration;
  readonly stop_signal?: string;
  readonly sysctls?: StringMapOrList;
  readonly tmpfs?: StringOrList;
  readonly tty?: boolean;
  readonly ulimits?: Readonly<Record<string, ComposeUlimit>>;
  readonly user?: string | number;
  readonly userns_mode?: string;
  readonly uts?: 'host';
  readonly volumes?: readonly ComposeMount[];
  readonly volumes_from?: readonly string[];
  readonly working_dir?: string;
}

export type {
  ComposeConfig,
  ComposeExternal,
  ComposeNetwork,
  ComposeSecret,
  ComposeVolume,
} from './compose-objects.js';

export interface ComposeFile {
  readonly version?: string;
  readonly name?: string;
  readonly services: Readonly<Record<string, ComposeService>>;
  readonly networks?: Readonly<Record<string, ComposeNetwork | null>>;
  readonly volumes?: Readonly<Record<string, ComposeVolume | null>>;
  readonly configs?: Readonly<Record<string, ComposeConfig>>;
  readonly secrets?: Readonly<Record<string, ComposeSecret>>;
}
