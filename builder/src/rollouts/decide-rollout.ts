// The rollout controller's decision for one deployment, from how the devices of the current step
// fare (as the hub reports them). Pure: the clock and the step's start come in as arguments.
//   pause    when failures in the step cross pauseOn (failed health gates, rollbacks, rejected
//            commits, devices that went offline during the step);
//   promote  when every device of the step converged and the step is older than promoteAfter;
//   complete when the last step is reached and every device of it converged;
//   wait     otherwise, saying why.
import { rolloutBucket } from '#kernel/fleet/rollout-bucket.js';
import { currentPercent, nextStep, rateOf, type RolloutSpec } from '#kernel/fleet/rollout.js';
import type { DeviceView } from '../hub/hub-views.js';

export interface RolloutInput {
  readonly deployment: string;
  readonly rollout: RolloutSpec;
  /** Epoch ms the current step began (the commit that set it). */
  readonly stepSince: number;
  readonly promoteAfterMs: number;
  readonly now: number;
  /** The devices the hub knows that run this deployment. */
  readonly devices: readonly DeviceView[];
}

export interface FailingDevice {
  readonly device: string;
  readonly status: string;
  readonly code?: string;
}

export type RolloutDecision =
  | {
      readonly action: 'promote';
      readonly from: number;
      readonly to: number;
      readonly devices: number;
    }
  | {
      readonly action: 'pause';
      readonly at: number;
      readonly reason: string;
      readonly failing: readonly FailingDevice[];
      readonly devices: number;
    }
  | { readonly action: 'complete'; readonly at: number; readonly devices: number }
  | { readonly action: 'wait'; readonly why: string };

const FAILED = new Set(['failed', 'rolled-back', 'rejected']);

/** Where each device of the current step stands. */
export function stepDevices(input: RolloutInput) {
  const percent = currentPercent(input.rollout);
  const inStep = input.devices.filter((d) => rolloutBucket(input.deployment, d.id) < percent);
  const failing: FailingDevice[] = [];
  let converged = 0;
  let pending = 0;
  for (const device of inStep) {
    const mine = device.deployments.find((x) => x.name === input.deployment);
    const seen = device.lastSeen ? Date.parse(device.lastSeen) : 0;
    if (!device.online) {
      // Offline since before the step: nothing to judge it by. Gone during it: a failure.
      if (seen >= input.stepSince) failing.push({ device: device.id, status: 'offline' });
      continue;
    }
    if (mine && FAILED.has(mine.status) && mine.rollout?.selected !== false)
      failing.push({
        device: device.id,
        status: mine.status,
        ...(mine.code ? { code: mine.code } : {}),
      });
    else if (
      mine?.status === 'converged' &&
      mine.rollout?.selected === true &&
      mine.rollout.percent === percent
    )
      converged += 1;
    else pending += 1;
  }
  return { percent, inStep: inStep.length, failing, converged, pending };
}

/** Whether failures cross pauseOn (by default, the first failure pauses). */
function crossesPauseOn(
  rollout: RolloutSpec,
  failures: number,
  judged: number,
): string | undefined {
  const limit = rollout.pauseOn?.failures ?? (rollout.pauseOn?.failureRate ? undefined : 1);
  if (limit !== undefined && failures >= limit)
    return `${failures} failed (pauseOn.failures ${limit})`;
  const rate = rateOf(rollout.pauseOn?.failureRate);
  const enough = judged >= (rollout.pauseOn?.minDevices ?? 1);
  if (rate !== undefined && enough && judged > 0 && failures / judged >= rate)
    return `${failures} of ${judged} failed, ${((failures / judged) * 100).toFixed(0)}% (pauseOn.failureRate ${rollout.pauseOn?.failureRate})`;
  return undefined;
}

export function decideRollout(input: RolloutInput): RolloutDecision {
  if (input.rollout.paused) return { action: 'wait', why: 'paused' };
  const step = stepDevices(input);
  const judged = step.failing.length + step.converged + step.pending;
  const crossed = crossesPauseOn(input.rollout, step.failing.length, judged);
  if (crossed)
    return {
      action: 'pause',
      at: step.percent,
      reason: `${crossed} in the ${step.percent}% step`,
      failing: step.failing,
      devices: step.inStep,
    };
  if (step.pending > 0 || step.failing.length > 0)
    return {
      action: 'wait',
      why: `${step.converged} of ${judged} devices of the ${step.percent}% step converged`,
    };
  const age = input.now - input.stepSince;
  if (age < input.promoteAfterMs)
    return {
      action: 'wait',
      why: `the ${step.percent}% step is ${Math.round(age / 60_000)} min old; promoteAfter is ${Math.round(input.promoteAfterMs / 60_000)} min`,
    };
  const next = nextStep(input.rollout);
  if (next === undefined) return { action: 'complete', at: step.percent, devices: step.inStep };
  return { action: 'promote', from: step.percent, to: next, devices: step.inStep };
}
