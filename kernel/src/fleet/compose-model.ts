// A Compose file as schema/compose.schema.json admits it, typed once here beside the schema. The
// loader validates every stack against the schema before anything reads it as these types, so the
// resolver works on typed values instead of casting. A key added to the schema is added here too:
// SERVICE_KEYS (tenant-policy.ts) is keyed by ComposeService, and its test walks the schema.

export type StringOrList = string | readonly string[];
export type StringMapOrList =
  readonly string[] | Readonly<Record<string, string | number | boolean | null>>;
/** `30s`, `1m30s`, `500ms` (the schema checks the pattern). */
export type ComposeDuration = string;
export type DependencyCondition =
  'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface ComposeBuildLong {
  readonly context: string;
  readonly dockerfile?: string;
  readonly args?: StringMapOrList;
  readonly target?: string;
  readonly platforms?: readonly string[];
}

export interface ComposePortLong {
  readonly target: number;
  readonly published?: number | string;
  readonly protocol?: 'tcp' | 'udp';
  readonly host_ip?: string;
}
export type ComposePort = string | number | ComposePortLong;

export interface ComposeMountLong {
  readonly type: 'volume' | 'bind' | 'tmpfs';
  readonly source?: string;
  readonly target: string;
  readonly read_only?: boolean;
}
export type ComposeMount = string | ComposeMountLong;

export type ComposeServiceNetworks =
  readonly string[] | Readonly<Record<string, { readonly aliases?: readonly string[] } | null>>;

export interface ComposeHealthcheck {
  readonly test?: StringOrList;
  readonly interval?: ComposeDuration;
  readonly timeout?: ComposeDuration;
  readonly retries?: number;
  readonly start_period?: ComposeDuration;
  readonly disable?: boolean;
}

export type ComposeDependsOn =
  readonly string[] | Readonly<Record<string, { readonly condition: DependencyCondition }>>;

export interface ComposeLimits {
  readonly cpus?: string | number;
  readonly memory?: string | number;
  readonly pids?: number;
}

export type ComposeUlimit = number | { readonly soft: number; readonly hard: number };

export interface ComposeLogging {
  readonly driver?: string;
  readonly options?: Readonly<Record<string, string | number>>;
}

export interface ComposeService {
  readonly image?: string;
  readonly build?: string | ComposeBuildLong;
  readonly command?: StringOrList;
  readonly entrypoint?: StringOrList;
  readonly environment?: StringMapOrList;
  readonly env_file?: StringOrList;
  readonly ports?: readonly ComposePort[];
  readonly volumes?: readonly ComposeMount[];
  readonly networks?: ComposeServiceNetworks;
  readonly network_mode?: string;
  readonly restart?: 'no' | 'always' | 'on-failure' | 'unless-stopped';
  readonly healthcheck?: ComposeHealthcheck;
  readonly depends_on?: ComposeDependsOn;
  readonly devices?: readonly string[];
  readonly privileged?: boolean;
  readonly cap_add?: readonly string[];
  readonly cap_drop?: readonly string[];
  readonly user?: string;
  readonly working_dir?: string;
  readonly labels?: StringMapOrList;
  readonly mem_limit?: string | number;
  readonly cpus?: string | number;
  readonly deploy?: { readonly resources?: { readonly limits?: ComposeLimits } };
  readonly stop_grace_period?: ComposeDuration;
  readonly stop_signal?: string;
  readonly extra_hosts?: StringMapOrList;
  readonly tmpfs?: StringOrList;
  readonly read_only?: boolean;
  readonly ulimits?: Readonly<Record<string, ComposeUlimit>>;
  readonly sysctls?: StringMapOrList;
  readonly logging?: ComposeLogging;
}

export interface ComposeNetwork {
  readonly driver?: 'bridge';
  readonly internal?: boolean;
  readonly labels?: StringMapOrList;
}

export interface ComposeVolume {
  readonly driver?: 'local';
  readonly labels?: StringMapOrList;
}

export interface ComposeFile {
  readonly version?: string;
  readonly name?: string;
  readonly services: Readonly<Record<string, ComposeService>>;
  readonly networks?: Readonly<Record<string, ComposeNetwork | null>>;
  readonly volumes?: Readonly<Record<string, ComposeVolume | null>>;
}
