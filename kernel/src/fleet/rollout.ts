// A staged rollout as fleet.yaml states it, and what follows from it: the current step, the next
// one, and who takes the new revision (a device whose bucket is below the effective percentage).
// The rollout controller moves `percent` through `steps` and sets `paused`; each is a commit.

export interface RolloutSpec {
  readonly previous: string;
  /** The current step; defaults to the first of `steps`. */
  readonly percent?: number;
  readonly steps?: readonly number[];
  /** How long every device of a step must have been converged before the next (a duration). */
  readonly promoteAfter?: string;
  readonly pauseOn?: {
    readonly failures?: number;
    /** e.g. "5%" */
    readonly failureRate?: string;
    readonly minDevices?: number;
    /** Paused, every device goes back to `previous`. */
    readonly rollback?: boolean;
  };
  readonly paused?: boolean;
}

/** The percentage of the current step. */
export function currentPercent(rollout: RolloutSpec): number {
  return rollout.percent ?? rollout.steps?.[0] ?? 0;
}

/** The percentage that takes the new revision now: none when paused with rollback. */
export function effectivePercent(rollout: RolloutSpec): number {
  return rollout.paused && rollout.pauseOn?.rollback ? 0 : currentPercent(rollout);
}

/** The step after the current one, or undefined when the rollout reached its last step. */
export function nextStep(rollout: RolloutSpec): number | undefined {
  const current = currentPercent(rollout);
  return rollout.steps?.find((step) => step > current);
}

/** "5%" as 0.05. */
export function rateOf(text: string | undefined): number | undefined {
  const match = /^([0-9]+(?:\.[0-9]+)?)%$/.exec(text ?? '');
  return match ? Number(match[1]) / 100 : undefined;
}
