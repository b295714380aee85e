// Applies one deployment's plan; on failure rolls it back to its last known good version.
import { FerryError, InvalidInputError } from '#kernel/errors.js';
import type { DesiredDeployment, DesiredState } from '#kernel/fleet/desired-state.js';
import { resolveBindSources } from '../apply/bind-sources.js';
import { executeSteps, StepFailedError, type ExecuteContext } from '../apply/execute-steps.js';
import { planReconcile } from '../plan/plan-reconcile.js';
import type { DeploymentTurn } from './decide-pass.js';
import type { DeploymentOutcome } from './settle-pass.js';

export interface ApplyInputs {
  readonly desired: DesiredState;
  readonly turn: DeploymentTurn;
  readonly namespace: string;
  /** The engine, the images (fetched through Ferry only), the clock and the logger. */
  readonly execute: ExecuteContext;
  /** Where the host's `/` is for ferryd (engine.hostRoot). */
  readonly hostRoot: string;
  /** Called before the first step that changes anything (records the apply as under way). */
  readonly beforeChanges: () => Promise<void>;
}

/**
 * Plans and applies `wanted` as deployment `name` alone; every other deployment is held untouched.
 * A version being restored has its tenant bind mounts checked again right before the engine sees
 * them: it was checked when it was applied, and the tenant's folders may have changed since (the
 * version going forward was checked by the pass moments ago).
 */
async function applyOnly(
  inputs: ApplyInputs,
  wanted: DesiredDeployment | undefined,
  name: string,
  mode: { ungated?: boolean; restoring?: boolean },
) {
  const { engine, images } = inputs.execute;
  let deployment = wanted;
  if (wanted && mode.restoring) {
    const bound = await resolveBindSources(
      { ...inputs.desired, deployments: [wanted] },
      inputs.hostRoot,
    );
    if (!bound.state) throw new InvalidInputError(bound.problems);
    deployment = bound.state.deployments[0];
  }
  const current = await engine.snapshot(inputs.desired.device, { reuse: true });
  const others = new Set([
    ...current.containers.map((c) => c.deployment),
    ...inputs.desired.deployments.map((d) => d.name),
  ]);
  others.delete(name);
  const references = deployment?.services.map((s) => s.image) ?? [];
  const plan = planReconcile({
    current,
    desired: { ...inputs.desired, deployments: deployment ? [deployment] : [] },
    namespace: inputs.namespace,
    localImages: new Set(references.filter((r) => images.idOf(r) !== undefined)),
    hold: others,
    ...(mode.ungated ? { ungated: new Set([name]) } : {}),
  });
  if (plan.steps.length > 0) await inputs.beforeChanges();
  await executeSteps(plan.steps, inputs.execute);
  return plan;
}

export async function applyDeployment(inputs: ApplyInputs): Promise<DeploymentOutcome> {
  const { deployment, record, ungated } = inputs.turn;
  const { logger } = inputs.execute;
  let plan;
  try {
    plan = await applyOnly(inputs, deployment, deployment.name, { ungated });
  } catch (error) {
    if (!(error instanceof StepFailedError)) throw error;
    const { reason, code, failureLog } = error;
    const failed = { deployment: deployment.name, revision: deployment.stackRevision, reason };
    logger.error(
      {
        event: 'deployment.failed',
        code,
        ...failed,
        ...(failureLog ? { output: failureLog } : {}),
      },
      'update failed',
    );
    const log = failureLog ? { failureLog } : {};
    if (!deployment.update.rollback)
      return { status: 'failed', reason, code, services: [], ...log };
    const good = record.lastKnownGood;
    try {
      // With no good version to go back to, the failed containers are removed.
      await applyOnly(inputs, good?.deployment, deployment.name, { restoring: true });
    } catch (rollbackError) {
      const detail = rollbackError instanceof Error ? rollbackError.message : String(rollbackError);
      logger.error(
        { event: 'rollback.failed', deployment: deployment.name, reason: detail },
        'rollback failed',
      );
      const rollbackCode = rollbackError instanceof FerryError ? rollbackError.code : code;
      return {
        status: 'failed',
        reason: `${reason}; rollback failed: ${detail}`,
        code: rollbackCode,
        services: [],
        ...log,
      };
    }
    logger.warn(
      { event: 'deployment.rolled_back', to: good?.revision ?? null, code, ...failed },
      'rolled back',
    );
    return { status: 'rolled-back', reason, code, services: [], ...log };
  }
  const changed = plan.steps.length > 0;
  if (changed)
    logger.info(
      {
        event: 'deployment.updated',
        deployment: deployment.name,
        revision: deployment.stackRevision,
        services: plan.services,
      },
      'deployment updated',
    );
  return { status: changed ? 'updated' : 'unchanged', services: plan.services };
}
