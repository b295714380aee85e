// Applies one deployment's plan; on failure rolls it back to its last known good version.
import type { Logger } from 'pino';
import type { DesiredDeployment, DesiredState } from '../desired/desired-state.js';
import { InvalidInputError } from '../../../schema/src/errors.js';
import { resolveBindSources } from '../apply/bind-sources.js';
import type { ContainerEngine } from '../apply/container-engine.js';
import { executeSteps, StepFailedError, type ExecuteContext } from '../apply/execute-steps.js';
import { planReconcile } from '../plan/plan-reconcile.js';
import type { ServicePlan } from '../plan/steps.js';
import type { DeploymentRecord } from '../state/state-file.js';
import type { DeploymentStatus } from '../report/pass-report.js';

export interface DeploymentOutcome {
  readonly status: DeploymentStatus;
  readonly reason?: string;
  readonly services: readonly ServicePlan[];
}

interface Inputs {
  readonly desired: DesiredState;
  readonly deployment: DesiredDeployment;
  readonly record: DeploymentRecord | undefined;
  readonly namespace: string;
  readonly engine: ContainerEngine;
  readonly execute: ExecuteContext;
  readonly logger: Logger;
  /** References the engine can run without downloading (Ferry's imports included). */
  readonly localImages: ReadonlySet<string>;
  /** Where the host's `/` is for ferryd (engine.hostRoot). */
  readonly hostRoot: string;
  /** The last apply of this deployment was interrupted: gate every service again. */
  readonly ungated: boolean;
  /** Called before the first step that changes anything (records the apply as under way). */
  readonly beforeChanges: () => Promise<void>;
}

/**
 * Plans and applies `deployment` alone; every other deployment is held untouched. A version being
 * restored (`restoring`) has its tenant bind mounts checked again right before the engine sees
 * them: it was checked when it was applied, and the tenant's folders may have changed since (the
 * version going forward was checked by the pass moments ago).
 */
async function applyOnly(
  inputs: Inputs,
  wanted: DesiredDeployment | undefined,
  name: string,
  mode: { ungated?: boolean; restoring?: boolean },
) {
  let deployment = wanted;
  if (wanted && mode.restoring) {
    const bound = await resolveBindSources(
      { ...inputs.desired, deployments: [wanted] },
      inputs.hostRoot,
    );
    if (!bound.state) throw new InvalidInputError(bound.problems);
    deployment = bound.state.deployments[0];
  }
  const current = await inputs.engine.snapshot(inputs.desired.device);
  const others = new Set([
    ...current.containers.map((c) => c.deployment),
    ...inputs.desired.deployments.map((d) => d.name),
  ]);
  others.delete(name);
  const plan = planReconcile({
    current,
    desired: { ...inputs.desired, deployments: deployment ? [deployment] : [] },
    namespace: inputs.namespace,
    localImages: new Set([...inputs.localImages, ...(await inputs.engine.localImages())]),
    hold: others,
    ...(mode.ungated ? { ungated: new Set([name]) } : {}),
  });
  if (plan.steps.length > 0) await inputs.beforeChanges();
  await executeSteps(plan.steps, inputs.execute);
  return plan;
}

export async function applyDeployment(inputs: Inputs): Promise<DeploymentOutcome> {
  const { deployment, logger } = inputs;
  let plan;
  try {
    plan = await applyOnly(inputs, deployment, deployment.name, { ungated: inputs.ungated });
  } catch (error) {
    if (!(error instanceof StepFailedError)) throw error;
    const reason = error.reason;
    logger.error(
      {
        event: 'deployment.failed',
        deployment: deployment.name,
        revision: deployment.stackRevision,
        reason,
      },
      'update failed',
    );
    if (!deployment.update.rollback) return { status: 'failed', reason, services: [] };
    const good = inputs.record?.lastKnownGood?.deployment;
    try {
      // With no good version to go back to, the failed containers are removed.
      await applyOnly(inputs, good, deployment.name, { restoring: true });
    } catch (rollbackError) {
      const detail = rollbackError instanceof Error ? rollbackError.message : String(rollbackError);
      logger.error(
        { event: 'rollback.failed', deployment: deployment.name, reason: detail },
        'rollback failed',
      );
      return { status: 'failed', reason: `${reason}; rollback failed: ${detail}`, services: [] };
    }
    logger.warn(
      {
        event: 'deployment.rolled_back',
        deployment: deployment.name,
        to: inputs.record?.lastKnownGood?.revision ?? null,
        reason,
      },
      'rolled back',
    );
    return { status: 'rolled-back', reason, services: [] };
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
