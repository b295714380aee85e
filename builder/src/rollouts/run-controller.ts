// The rollout controller's loop, for `ferry rollouts` and for `ferry hub` with `rollouts:`:
// evaluate, wait the interval, again, until stopped. An evaluation that fails is logged; the
// next one starts from the repository and the hub afresh.
import type { Logger } from 'pino';
import type { HubClientOptions } from '../hub/hub-client.js';
import { evaluateRollouts } from './controller.js';
import { RolloutRepo } from './rollout-repo.js';

export interface ControllerSettings {
  readonly repo: string;
  readonly branch: string;
  readonly path: string;
  readonly reviewBranch?: string;
  readonly signingKey?: string;
  readonly notify?: string;
  readonly stateDir: string;
  readonly hub: HubClientOptions;
  readonly logger: Logger;
}

export function controllerOf(settings: ControllerSettings) {
  const repo = new RolloutRepo({
    url: settings.repo,
    branch: settings.branch,
    dir: `${settings.stateDir}/clone`,
    root: settings.path,
    ...(settings.reviewBranch ? { reviewBranch: settings.reviewBranch } : {}),
    ...(settings.signingKey ? { signingKey: settings.signingKey } : {}),
    author: { name: 'Ferry rollouts', email: 'rollouts@ferry.invalid' },
  });
  return () =>
    evaluateRollouts({
      repo,
      hub: settings.hub,
      stateDir: settings.stateDir,
      logger: settings.logger,
      ...(settings.notify ? { notify: settings.notify } : {}),
    });
}

/** Evaluates every `intervalMs` until `signal` aborts. */
export async function runController(
  settings: ControllerSettings,
  intervalMs: number,
  signal: AbortSignal,
): Promise<void> {
  const evaluate = controllerOf(settings);
  while (!signal.aborted) {
    await evaluate().catch((error: unknown) =>
      settings.logger.error(
        { event: 'rollout.evaluation_failed', reason: String(error) },
        'rollout evaluation failed',
      ),
    );
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, intervalMs);
      signal.addEventListener('abort', () => (clearTimeout(timer), resolve(undefined)), {
        once: true,
      });
    });
  }
}
