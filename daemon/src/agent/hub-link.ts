// Between a pass and the hub: the reporter a configuration asks for, and what a pass came to.
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ContainerEngine } from '../apply/container-engine.js';
import { DockerEngine } from '../apply/docker-engine.js';
import { EngineApi } from '../apply/engine-api.js';
import { RemoteOperations } from '../report/remote-operations.js';
import type { DaemonConfig } from '../config/daemon-config.js';
import { HubReporter, type PassOutcome } from '../report/hub-reporter.js';
import type { PassReport } from '../report/pass-report.js';
import type { PassContext } from './reconcile-pass.js';

export function hubReporter(
  config: DaemonConfig,
  logger: Logger,
  /** Where remote operations run; without it (`ferryd once`) they wait for the daemon. */
  engine?: ContainerEngine,
): HubReporter | undefined {
  if (!config.report) return undefined;
  const device = config.device.id;
  // The reporter sends the operations' results (called only once the reporter exists).
  const operations =
    engine &&
    new RemoteOperations({
      engine,
      device,
      allowed: config.report.operations,
      logger,
      answer: (id, result) => reporter.answer(id, result),
    });
  const reporter: HubReporter = new HubReporter({
    ...config.report,
    ...(operations ? { runner: operations } : {}),
    device,
    ...(config.device.arch ? { arch: config.device.arch } : {}),
    stateDir: config.state.dir,
    logger,
    engineFacts: async () => {
      const facts = await new DockerEngine(new EngineApi(config.engine.socket)).facts();
      // ferryd in a container sees the host's disks under engine.hostRoot.
      return { version: facts.version, dataRoot: join(config.engine.hostRoot, facts.dataRoot) };
    },
  });
  return reporter;
}

/** The pass with the device's labels and what runs as last known good, from the state file. */
export async function passOutcome(context: PassContext, pass: PassReport): Promise<PassOutcome> {
  const state = await context.stateFile.read();
  const applied = Object.fromEntries(
    Object.entries(state.deployments).map(([name, r]) => [name, r.lastKnownGood?.revision ?? null]),
  );
  const resolved = context.resolvedCache.result;
  return {
    pass,
    labels: resolved?.state?.labels ?? {},
    applied,
    ...(resolved?.listed === undefined ? {} : { listed: resolved.listed }),
  };
}
