// What one device should run, as the resolver computes it: the input of ferryd's planner.
import type { Problem } from '../problem.js';
import type { UpdateOrder } from './fleet-model.js';

export type DependencyCondition =
  'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface PortMapping {
  readonly target: number;
  readonly published?: number;
  readonly protocol: 'tcp' | 'udp';
  readonly hostIp?: string;
}

export interface Mount {
  readonly type: 'volume' | 'bind' | 'tmpfs';
  /** Volume name (as named in the stack), host path for binds, empty for tmpfs. */
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
}

export interface Healthcheck {
  readonly test: readonly string[];
  readonly intervalMs?: number;
  readonly timeoutMs?: number;
  readonly retries?: number;
  readonly startPeriodMs?: number;
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
  /** sha256 of everything above that defines the container, image digest included. */
  readonly configHash: string;
}

export interface DesiredNetwork {
  readonly name: string;
  /** `[tenant_]deployment.network` before the engine namespace. */
  readonly engineName: string;
  readonly internal: boolean;
}

export interface DesiredVolume {
  readonly name: string;
  readonly engineName: string;
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
    readonly percent: number;
    readonly bucket: number;
    readonly selected: boolean;
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
