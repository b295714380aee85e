// A paused rollout on this device: a device of the step that already runs the new release keeps
// it; one that had not taken it yet (it was offline, or its turn had not come) keeps `previous`.
// Only the device knows which it is, from what it runs. Pure.
import type { DesiredDeployment, DesiredState } from '#kernel/fleet/desired-state.js';
import type { DaemonState } from '../state/state-file.js';

/** The containers a version of a deployment makes: each service's name and config hash. */
const containers = (deployment: DesiredDeployment) =>
  deployment.services
    .map((s) => `${s.name}:${s.configHash}`)
    .sort()
    .join(',');

export function holdPausedSteps(
  state: DesiredState,
  fallbacks: ReadonlyMap<string, DesiredDeployment> | undefined,
  records: DaemonState['deployments'],
): DesiredState {
  if (!fallbacks || fallbacks.size === 0) return state;
  return {
    ...state,
    deployments: state.deployments.map((deployment) => {
      const fallback = fallbacks.get(deployment.name);
      if (!fallback) return deployment;
      const running = records[deployment.name]?.lastKnownGood?.deployment;
      return running && containers(running) === containers(deployment) ? deployment : fallback;
    }),
  };
}

/** The same, reading the records from the state file only when a rollout is paused. */
export async function withPausedSteps(
  state: DesiredState,
  fallbacks: ReadonlyMap<string, DesiredDeployment> | undefined,
  stateFile: { read(): Promise<DaemonState> },
): Promise<DesiredState> {
  if (!fallbacks) return state;
  return holdPausedSteps(state, fallbacks, (await stateFile.read()).deployments);
}
