// Runs a plan's steps against the engine, one executor per step kind, in order. The first failure
// stops the run and is thrown with the step it happened at; the caller decides on rollback.
import type { Logger } from 'pino';
import { FerryError, type FerryErrorData } from '#kernel/errors.js';
import type { FailureLog } from '#kernel/failure-log.js';
import { LABEL } from '../plan/labels.js';
import type { DesiredService } from '#kernel/fleet/desired-state.js';
import type { Step } from '../plan/steps.js';
import { containerSpec, extraNetworks } from './container-spec.js';
import type { ContainerEngine, NetworkOptions } from './container-engine.js';
import { waitFor, type Clock } from './wait-for.js';

export interface ExecuteContext {
  readonly engine: ContainerEngine;
  readonly device: string;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly images: ImageSupply;
  readonly files: FileSupply;
  /** Told when a health gate starts waiting (with its deadline) and when it is done. */
  readonly onGate?: (gate: HealthGate | undefined) => void;
}

/** A health gate under way: what /status shows while an update waits on it. */
export interface HealthGate {
  readonly deployment: string;
  readonly service: string;
  readonly container: string;
  readonly deadline: string;
}

/** What mounts that are not device paths need on the device (shipped-store.ts). */
export interface FileSupply {
  /** The service with those mounts as binds of paths that now exist. */
  prepare(
    service: DesiredService,
    revision: string | null,
    container: string,
  ): Promise<DesiredService>;
}

/** Images for containers, from Ferry's fetch stage (there is no other download path). */
export interface ImageSupply {
  /** Fetches what the engine lacks of these images (only missing layers). */
  fetch(references: readonly string[]): Promise<void>;
  /** The local image ID of a reference Ferry imported (imports have no repo digest). */
  idOf(reference: string): string | undefined;
}

/** A step the engine (or a health gate) refused; its code is the cause's when Ferry's. */
export class StepFailedError extends FerryError {
  /** The failed container's last output, when a health gate failed. */
  readonly failureLog: FailureLog | undefined;

  constructor(
    readonly step: Step,
    readonly reason: string,
    cause: unknown,
  ) {
    const code = cause instanceof FerryError ? cause.code : 'FERRY_ENGINE';
    super(code, `${step.action} failed: ${reason}`, { step: step.action, reason }, { cause });
    this.name = 'StepFailedError';
    const gate = cause instanceof FerryError && cause.code === 'FERRY_HEALTH' ? cause : undefined;
    const data = gate?.data as FerryErrorData['FERRY_HEALTH'] | undefined;
    this.failureLog =
      data?.log === undefined
        ? undefined
        : { service: data.service, container: data.container, lines: data.log };
  }
}

type Executors = {
  [A in Step['action']]: (
    step: Extract<Step, { action: A }>,
    context: ExecuteContext,
  ) => Promise<void>;
};

const ownedBy = (
  context: ExecuteContext,
  step: { deployment: string; tenant?: string },
  object: string,
) => ({
  [LABEL.managed]: 'true',
  [LABEL.device]: context.device,
  [LABEL.deployment]: step.deployment,
  ...(step.tenant === undefined ? {} : { [LABEL.tenant]: step.tenant }),
  [LABEL.object]: object,
});

const executors: Executors = {
  fetchImages: (step, c) => c.images.fetch(step.images),
  createNetwork: (step, c) =>
    c.engine.createNetwork(networkOptions(step, ownedBy(c, step, step.network.name))),
  createVolume: (step, c) =>
    c.engine.createVolume({
      name: step.engineName,
      labels: { ...step.volume.labels, ...ownedBy(c, step, step.volume.name) },
      ...(step.volume.driver ? { driver: step.volume.driver } : {}),
      ...(step.volume.driverOpts ? { driverOpts: step.volume.driverOpts } : {}),
    }),
  createContainer: async (step, c) => {
    const { revision } = step.context;
    const service = await c.files.prepare(step.service, revision, step.service.containerName);
    await c.engine.createContainer(
      {
        ...containerSpec(step.engineName, service, step.context, step.deployment),
        // Imported images have no repo digest on the engine: create from the image ID.
        Image: c.images.idOf(service.image) ?? service.image,
      },
      extraNetworks(service, step.context),
    );
  },
  startContainer: (step, c) => c.engine.start(step.engineName),
  waitFor: async (step, c) => {
    const deadline = new Date(c.clock.now() + step.timeoutMs).toISOString();
    c.onGate?.({
      deployment: step.deployment,
      service: step.service,
      container: step.engineName,
      deadline,
    });
    try {
      await waitFor(step, c.engine, c.clock);
    } finally {
      c.onGate?.(undefined);
    }
  },
  stopContainer: (step, c) => c.engine.stop(step.containerId),
  removeContainer: (step, c) => c.engine.remove(step.containerId),
  renameContainer: (step, c) => c.engine.rename(step.engineName, step.to),
  removeNetwork: (step, c) => c.engine.removeNetwork(step.engineName),
};

function networkOptions(
  step: Extract<Step, { action: 'createNetwork' }>,
  labels: Record<string, string>,
): NetworkOptions {
  const { network } = step;
  const ipam = network.ipam;
  return {
    name: step.engineName,
    labels: { ...network.labels, ...labels },
    internal: network.internal,
    ...(network.driver ? { driver: network.driver } : {}),
    ...(network.driverOpts ? { driverOpts: network.driverOpts } : {}),
    ...(network.enableIpv6 ? { enableIpv6: true } : {}),
    ...(network.attachable ? { attachable: true } : {}),
    ...(ipam
      ? {
          ipam: {
            Driver: ipam.driver ?? 'default',
            Config: ipam.config.map((c) => ({
              ...(c.subnet ? { Subnet: c.subnet } : {}),
              ...(c.ipRange ? { IPRange: c.ipRange } : {}),
              ...(c.gateway ? { Gateway: c.gateway } : {}),
              ...(c.auxAddresses ? { AuxiliaryAddresses: { ...c.auxAddresses } } : {}),
            })),
            ...(ipam.options ? { Options: { ...ipam.options } } : {}),
          },
        }
      : {}),
  };
}

export async function executeSteps(steps: readonly Step[], context: ExecuteContext): Promise<void> {
  for (const step of steps) {
    const run = executors[step.action] as (s: Step, c: ExecuteContext) => Promise<void>;
    context.logger.debug({ event: 'step.start', step: describe(step) }, 'step');
    try {
      await run(step, context);
    } catch (error) {
      const reason =
        error instanceof Error
          ? error.message.replace(/^\(HTTP code \d+\) \w+ - /, '')
          : String(error);
      context.logger.warn({ event: 'step.failed', step: describe(step), reason }, 'step failed');
      throw new StepFailedError(step, reason, error);
    }
  }
}

function describe(step: Step): string {
  const target =
    'engineName' in step
      ? step.engineName
      : 'containerId' in step
        ? step.containerId.slice(0, 12)
        : step.images.join(' ');
  return `${step.action} ${target}`;
}
