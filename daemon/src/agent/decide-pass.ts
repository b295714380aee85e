// What a pass will do, decided before it does anything: pure, over plain data. The pass
// (reconcile-pass.ts) executes the decision; settle-pass.ts decides what its outcomes mean.
import type { DesiredDeployment, DesiredState } from '#kernel/fleet/desired-state.js';
import type { EngineState } from '../plan/engine-state.js';
import { planReconcile } from '../plan/plan-reconcile.js';
import type { Plan, Step } from '../plan/steps.js';
import type { DeploymentRecord, DaemonState } from '../state/state-file.js';
import { heldDeployments, type Hold } from './pass-holds.js';

/** One deployment to apply this pass. */
export interface DeploymentTurn {
  readonly deployment: DesiredDeployment;
  /** Its record without the `applying` mark (which `ungated` stands for). */
  readonly record: DeploymentRecord;
  /** Its last apply was interrupted: every service passes its health gate again. */
  readonly ungated: boolean;
}

export interface PassDecision {
  /** Every image the desired state names, held deployments' too (windows gate applying, not downloading). */
  readonly fetch: Extract<Step, { action: 'fetchImages' }>;
  /** Deployments left exactly as they are this pass, and why. */
  readonly holds: ReadonlyMap<string, Hold>;
  /** Deployments to apply, in the fleet's order. */
  readonly turns: readonly DeploymentTurn[];
  /** Removes the deployments that left this device's desired state (after the turns). */
  readonly leaving: Plan;
}

export interface PassInput {
  readonly state: DaemonState;
  readonly desired: DesiredState;
  /** Ferry's containers, networks and volumes of this device as the pass begins. */
  readonly engine: EngineState;
  readonly namespace: string;
  readonly now: Date;
}

export function decidePass(input: PassInput): PassDecision {
  const { state, desired } = input;
  const holds = heldDeployments(desired, state, input.now);
  const images = desired.deployments.flatMap((d) => d.services.map((s) => s.image));
  const turns = desired.deployments
    .filter((d) => !holds.has(d.name))
    .map((deployment): DeploymentTurn => {
      const { applying, ...record } = state.deployments[deployment.name] ?? {};
      return { deployment, record, ungated: applying !== undefined };
    });
  const leaving = planReconcile({
    current: input.engine,
    desired,
    namespace: input.namespace,
    localImages: new Set(),
    hold: new Set(desired.deployments.map((d) => d.name)),
  });
  return {
    fetch: { action: 'fetchImages', images: [...new Set(images)].sort() },
    holds,
    turns,
    leaving,
  };
}
