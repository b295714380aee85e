// The commit message of a controller decision: what it did and why, in words a reviewer reads
// in `git log`, with trailers a script can find.
import type { RolloutSpec } from '#kernel/fleet/rollout.js';
import type { RolloutDecision } from './decide-rollout.js';

export function decisionMessage(
  deployment: string,
  rollout: RolloutSpec,
  decision: RolloutDecision,
): string {
  const trailers = `\n\nFerry-Rollout: ${deployment}\nFerry-Previous: ${rollout.previous}`;
  if (decision.action === 'promote')
    return (
      `rollout ${deployment}: ${decision.from}% -> ${decision.to}%\n\n` +
      `Every device of the ${decision.from}% step (${decision.devices}) converged` +
      `${rollout.promoteAfter ? ` and stayed so for promoteAfter (${rollout.promoteAfter})` : ''}.` +
      `${trailers}\nFerry-Decision: promote`
    );
  if (decision.action === 'pause') {
    const failing = decision.failing
      .map((f) => `- ${f.device}: ${f.status}${f.code ? ` ${f.code}` : ''}`)
      .join('\n');
    return (
      `rollout ${deployment}: paused at ${decision.at}%\n\n` +
      `${decision.reason}.\n\nFailing devices:\n${failing}` +
      `${trailers}\nFerry-Decision: pause`
    );
  }
  return `rollout ${deployment}: complete${trailers}`;
}
