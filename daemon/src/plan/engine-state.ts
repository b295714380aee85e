// What ferryd sees on the engine: only objects carrying `ferry.managed=true` (see labels.ts).

export type ContainerState =
  'created' | 'running' | 'restarting' | 'paused' | 'exited' | 'dead' | 'removing';

export interface ManagedContainer {
  readonly id: string;
  readonly name: string;
  readonly deployment: string;
  readonly tenant?: string;
  readonly service: string;
  readonly configHash: string;
  readonly revision: string;
  readonly image: string;
  readonly state: ContainerState;
  readonly health?: 'starting' | 'healthy' | 'unhealthy';
}

/** A network or volume: its engine name and what its labels say it belongs to. */
export interface ManagedObject {
  readonly name: string;
  readonly deployment: string;
  readonly tenant?: string;
  /** The stack's name for it; absent on objects made with the earlier '-' names. */
  readonly object?: string;
}

export type ManagedNetwork = ManagedObject;
export type ManagedVolume = ManagedObject;

export interface EngineState {
  readonly containers: readonly ManagedContainer[];
  readonly networks: readonly ManagedNetwork[];
  readonly volumes: readonly ManagedVolume[];
}
