// What ferryd sees on the engine: only objects carrying `ferry.managed=true` (see labels.ts).

export type ContainerState =
  'created' | 'running' | 'restarting' | 'paused' | 'exited' | 'dead' | 'removing';

export interface ManagedContainer {
  readonly id: string;
  readonly name: string;
  readonly deployment: string;
  readonly service: string;
  readonly configHash: string;
  readonly revision: string;
  readonly image: string;
  readonly state: ContainerState;
  readonly health?: 'starting' | 'healthy' | 'unhealthy';
}

export interface ManagedNetwork {
  readonly name: string;
  readonly deployment: string;
}

export interface ManagedVolume {
  readonly name: string;
  readonly deployment: string;
}

export interface EngineState {
  readonly containers: readonly ManagedContainer[];
  readonly networks: readonly ManagedNetwork[];
  readonly volumes: readonly ManagedVolume[];
}
