// Waiting on a container: its dependents' conditions and the update health gate.
import { FerryError } from '#kernel/errors.js';
import { boundedLines, FAILURE_LOG_LINES } from '#kernel/failure-log.js';
import type { Step } from '../plan/steps.js';
import type { ContainerEngine } from './container-engine.js';

/** Without a healthcheck, "healthy" means running, not restarting, for this long. */
export const STABLE_RUNNING_MS = 2_000;
const POLL_MS = 250;

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

type WaitStep = Extract<Step, { action: 'waitFor' }>;

/** Resolves when the condition holds; throws FERRY_HEALTH with the reason when it cannot. */
export async function waitFor(
  step: WaitStep,
  engine: ContainerEngine,
  clock: Clock,
): Promise<void> {
  const deadline = clock.now() + step.timeoutMs;
  let restarts: number | undefined;
  // The container's last output is read now: a rollback removes the container next.
  const fail = async (reason: string): Promise<never> => {
    const output = await engine.output(step.engineName, FAILURE_LOG_LINES).catch(() => '');
    throw new FerryError('FERRY_HEALTH', `${step.service}: ${reason}`, {
      service: step.service,
      container: step.engineName,
      log: boundedLines(output),
    });
  };
  for (;;) {
    const status = await engine.status(step.engineName);
    if (step.condition === 'service_completed_successfully') {
      if (status.state === 'exited') {
        if (status.exitCode === 0) return;
        await fail(`exited with code ${status.exitCode}`);
      }
    } else if (status.health !== undefined) {
      if (status.health === 'healthy') return;
      if (status.health === 'unhealthy')
        await fail(
          `failed its healthcheck${status.lastHealthOutput ? `: ${status.lastHealthOutput}` : ''}`,
        );
    } else if (status.state === 'running') {
      restarts ??= status.restartCount;
      if (status.restartCount !== restarts) await fail('restarted while starting');
      // Counted from the engine's own start time, so gates checked one after another do not
      // each wait the full period again.
      if (clock.now() - status.startedAt >= STABLE_RUNNING_MS) return;
    }
    if (status.state === 'restarting')
      await fail(`keeps restarting (last exit code ${status.exitCode})`);
    if (
      (status.state === 'exited' || status.state === 'dead') &&
      step.condition !== 'service_completed_successfully'
    ) {
      await fail(`exited with code ${status.exitCode}`);
    }
    if (clock.now() >= deadline) {
      await fail(
        `not healthy within ${Math.round(step.timeoutMs / 1000)}s (state ${status.state}${status.health ? `, health ${status.health}` : ''})`,
      );
    }
    await clock.sleep(POLL_MS);
  }
}
