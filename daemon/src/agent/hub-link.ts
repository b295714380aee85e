// Between a pass and the hub: the reporter a configuration asks for, and what a pass came to.
import type { Logger } from 'pino';
import type { DaemonConfig } from '../config/daemon-config.js';
import { HubReporter, type PassOutcome } from '../report/hub-reporter.js';
import type { PassReport } from '../report/pass-report.js';
import type { PassContext } from './reconcile-pass.js';

export function hubReporter(config: DaemonConfig, logger: Logger): HubReporter | undefined {
  if (!config.report) return undefined;
  return new HubReporter({
    ...config.report,
    device: config.device.id,
    ...(config.device.arch ? { arch: config.device.arch } : {}),
    stateDir: config.state.dir,
    logger,
  });
}

/** The pass with the device's labels and what runs as last known good, from the state file. */
export async function passOutcome(context: PassContext, pass: PassReport): Promise<PassOutcome> {
  const state = await context.stateFile.read();
  const applied = Object.fromEntries(
    Object.entries(state.deployments).map(([name, r]) => [name, r.lastKnownGood?.revision ?? null]),
  );
  return { pass, labels: context.resolvedCache.result?.state?.labels ?? {}, applied };
}
