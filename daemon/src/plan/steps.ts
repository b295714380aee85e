// The steps a plan is made of: plain data, executed in order by the apply stage.
import type {
  DependencyCondition,
  DesiredNetwork,
  DesiredService,
  DesiredVolume,
} from '#kernel/fleet/desired-state.js';

export type Step =
  | {
      readonly action: 'createNetwork';
      readonly deployment: string;
      readonly tenant?: string;
      readonly network: DesiredNetwork;
      readonly engineName: string;
    }
  | {
      readonly action: 'createVolume';
      readonly deployment: string;
      readonly tenant?: string;
      readonly volume: DesiredVolume;
      readonly engineName: string;
    }
  /** Through Ferry's fetch stage: only missing layers, resumable, verified. */
  | { readonly action: 'fetchImages'; readonly images: readonly string[] }
  | {
      readonly action: 'createContainer';
      readonly deployment: string;
      readonly service: DesiredService;
      readonly engineName: string;
      /** What the container is labelled with and attached to, in engine names. */
      readonly context: ContainerContext;
    }
  | {
      readonly action: 'startContainer';
      readonly deployment: string;
      readonly service: string;
      readonly engineName: string;
    }
  | {
      readonly action: 'waitFor';
      readonly deployment: string;
      readonly service: string;
      readonly engineName: string;
      readonly condition: DependencyCondition | 'update_healthy';
      readonly timeoutMs: number;
    }
  | {
      readonly action: 'stopContainer';
      readonly deployment: string;
      readonly service: string;
      readonly containerId: string;
    }
  | {
      readonly action: 'removeContainer';
      readonly deployment: string;
      readonly service: string;
      readonly containerId: string;
    }
  | {
      readonly action: 'renameContainer';
      readonly deployment: string;
      readonly service: string;
      readonly engineName: string;
      readonly to: string;
    }
  | { readonly action: 'removeNetwork'; readonly deployment: string; readonly engineName: string };

/** `verify`: unchanged, but gated again because the last apply of its deployment was interrupted. */
export type ServiceAction = 'create' | 'recreate' | 'remove' | 'unchanged' | 'start' | 'verify';

/** What the plan does to each service, for status and `ferryd once --json`. */
export interface ServicePlan {
  readonly deployment: string;
  readonly service: string;
  readonly action: ServiceAction;
  readonly order?: 'start-first' | 'stop-first';
  /** Why an update stops the old container first (the service is down meanwhile). */
  readonly why?: string;
}

export interface Plan {
  readonly steps: readonly Step[];
  readonly services: readonly ServicePlan[];
}

/** Deployment-level facts a container is created with. */
export interface ContainerContext {
  readonly device: string;
  readonly revision: string | null;
  readonly tenant?: string;
  /** Stack network name -> engine network name. */
  readonly networks: Readonly<Record<string, string>>;
  /** Stack volume name -> engine volume name. */
  readonly volumes: Readonly<Record<string, string>>;
  /** Engine container name of each service of the deployment (for network_mode service:). */
  readonly containers: Readonly<Record<string, string>>;
}
