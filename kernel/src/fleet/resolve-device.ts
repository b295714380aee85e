// The resolver: fleet + one device -> that device's desired state. Pure: no I/O, no clock.
import { formatPath, type Problem } from '../problem.js';
import type { YamlFile } from '../yaml-file.js';
import type { ComposeFile } from './compose-model.js';
import type {
  BindSite,
  DesiredDeployment,
  DesiredService,
  DesiredState,
  DeviceFacts,
} from './desired-state.js';
import { parseDuration } from '../duration.js';
import type { Deployment, LoadedFleet, LoadedStack } from './fleet-model.js';
import { dependencyOrder } from './dependency-order.js';
import { interpolateDocument } from './interpolate-document.js';
import { nameClashes } from './device-names.js';
import type { StackContext } from './normalize-context.js';
import { resolveStack, type ResolvedStack } from './resolve-stack.js';
import { ProblemSink } from './problem-sink.js';
import { rolloutBucket } from './rollout-bucket.js';
import { currentPercent, effectivePercent } from './rollout.js';
import { policyViolations, stackViolations } from './tenant-policy.js';
import { deviceLabels, targets } from './targets.js';

export const DEFAULT_HEALTH_TIMEOUT_MS = 60_000;

export interface ResolveResult {
  /** Present when the device resolved without problems. */
  readonly state?: DesiredState;
  readonly problems: readonly Problem[];
  /** Whether the fleet has a devices/<id>.yaml for this device (it may run without one). */
  readonly listed?: boolean;
  /**
   * For a paused rollout whose step takes this device: the `previous` version, which the device
   * keeps when it had not taken the new release before the pause (ferryd decides; it knows).
   */
  readonly pausedFallbacks?: ReadonlyMap<string, DesiredDeployment>;
}

export function resolveDevice(
  fleet: LoadedFleet,
  deviceId: string,
  facts: DeviceFacts = {},
): ResolveResult {
  const device = fleet.devices.get(deviceId);
  const labels = deviceLabels(device, facts);
  const vars: Record<string, string> = { FERRY_DEVICE_ID: deviceId, ...device?.spec.vars };

  const problems: Problem[] = [];
  const deployments: DesiredDeployment[] = [];
  const pausedFallbacks = new Map<string, DesiredDeployment>();
  for (const [index, deployment] of fleet.fleet.deployments.entries()) {
    if (!targets(deployment, deviceId, labels)) continue;
    const resolved = resolveDeployment(fleet, index, deployment, deviceId, vars);
    problems.push(...resolved.problems);
    if (resolved.deployment) deployments.push(resolved.deployment);
    const rollout = resolved.deployment?.rollout;
    if (rollout?.paused && rollout.selected) {
      const fallback = resolveDeployment(fleet, index, deployment, deviceId, vars, true);
      problems.push(...fallback.problems);
      if (fallback.deployment) pausedFallbacks.set(deployment.name, fallback.deployment);
    }
  }
  problems.push(...nameClashes(fleet, deployments, deviceId));
  const listed = device !== undefined;
  if (problems.length > 0) return { problems, listed };
  return {
    state: { device: deviceId, revision: fleet.revision, labels, deployments },
    problems,
    listed,
    ...(pausedFallbacks.size > 0 ? { pausedFallbacks } : {}),
  };
}

function resolveDeployment(
  fleet: LoadedFleet,
  index: number,
  deployment: Deployment,
  deviceId: string,
  vars: Readonly<Record<string, string>>,
  previousOnly = false,
): { deployment?: DesiredDeployment; problems: Problem[] } {
  const fleetSink = new ProblemSink(fleet.fleetYaml, deviceId);
  const picked = pickStack(fleet, deployment, deviceId, previousOnly);
  if (!picked.stack) {
    if (picked.selected && fleet.unreadable?.has(deployment.stack)) return { problems: [] };
    const where = picked.selected ? 'this revision' : `revision ${deployment.rollout?.previous}`;
    fleetSink.add(
      ['deployments', index, 'stack'],
      `stack '${deployment.stack}' has no compose.yaml at ${where}`,
    );
    return { problems: fleetSink.problems };
  }
  const { stack } = picked;
  const sink = new ProblemSink(stack.yaml, deviceId);
  // The schema admitted the file, and interpolation keeps its shape (strings stay strings).
  const lookup = (name: string) => vars[name] ?? stack.dotEnv?.[name];
  const compose = interpolateDocument(stack.compose, lookup, sink) as ComposeFile;
  const networks = compose.networks ?? {};
  const context: StackContext = {
    deployment: deployment.name,
    ...(deployment.tenant === undefined ? {} : { tenant: deployment.tenant }),
    stackPath: stack.path,
    services: new Set(Object.keys(compose.services)),
    networks: new Set(Object.keys(networks)),
    networksWithSubnet: new Set(
      Object.keys(networks).filter((n) => networks[n]?.ipam?.config?.some((c) => c.subnet)),
    ),
    volumes: new Set(Object.keys(compose.volumes ?? {})),
    configs: new Set(Object.keys(compose.configs ?? {})),
    secrets: new Set(Object.keys(compose.secrets ?? {})),
    envFiles: stack.envFiles,
    files: stack.files,
    configDefs: compose.configs ?? {},
    secretDefs: compose.secrets ?? {},
    vars: lookup,
    ...(fleet.fleet.defaults?.registry ? { registry: fleet.fleet.defaults.registry } : {}),
  };
  const resolved = resolveStack(compose, context, deployment.profiles ?? [], sink);
  const tenantBinds = checkServices(fleet, deployment, resolved, stack, sink);
  const problems = [...fleetSink.problems, ...sink.problems];
  if (problems.length > 0) return { problems };
  return {
    problems,
    deployment: {
      ...deploymentSettings(fleet, deployment, picked),
      ...resolved,
      ...(tenantBinds ? { tenantBinds } : {}),
    },
  };
}

interface PickedStack {
  readonly stack: LoadedStack | undefined;
  /** Whether the rollout selects this device for the new revision. */
  readonly selected: boolean;
  readonly bucket: number;
  readonly stackRevision: string | null;
}

/** The stack this device runs: this revision's, or `rollout.previous`'s outside the rollout. */
function pickStack(
  fleet: LoadedFleet,
  deployment: Deployment,
  deviceId: string,
  previousOnly: boolean,
): PickedStack {
  const bucket = rolloutBucket(deployment.name, deviceId);
  const rollout = deployment.rollout;
  const selected = rollout === undefined || (!previousOnly && bucket < effectivePercent(rollout));
  return {
    selected,
    bucket,
    stackRevision: selected ? fleet.revision : (rollout?.previous ?? null),
    stack: selected
      ? fleet.stacks.get(deployment.stack)
      : fleet.previousStacks.get(rollout?.previous ?? '')?.get(deployment.stack),
  };
}

/** The checks across services: dependency cycles, the tenant policy, pinned images. */
function checkServices(
  fleet: LoadedFleet,
  deployment: Deployment,
  { services, networks, volumes }: ResolvedStack,
  stack: LoadedStack,
  sink: ProblemSink,
): DesiredDeployment['tenantBinds'] {
  try {
    dependencyOrder(services);
  } catch (error) {
    sink.add(['services'], (error as Error).message, true);
  }
  if (fleet.fleet.policy?.requirePinnedImages) {
    for (const service of services)
      if (!isPinned(service.image))
        sink.add(
          ['services', service.name, 'image'],
          `image '${service.image}' is given by tag, and policy.requirePinnedImages wants a digest (ferry pin, or ferry build for built images)`,
        );
  }
  if (deployment.tenant === undefined) return undefined;
  const policy = fleet.fleet.policy?.tenants?.[deployment.tenant] ?? {};
  for (const service of services) {
    for (const violation of policyViolations(deployment.tenant, policy, service)) {
      sink.add(['services', service.name, ...violation.field], violation.message);
    }
  }
  for (const violation of stackViolations(deployment.tenant, policy, networks, volumes))
    sink.add(violation.field, violation.message);
  return { folders: policy.bindMounts ?? [], sites: bindSites(services, stack.yaml) };
}

/** The deployment's own settings: name, revision, rollout, update behaviour, window. */
function deploymentSettings(
  fleet: LoadedFleet,
  deployment: Deployment,
  picked: PickedStack,
): Omit<DesiredDeployment, 'services' | 'networks' | 'volumes' | 'tenantBinds'> {
  const { rollout, window } = deployment;
  const update = { ...fleet.fleet.defaults?.update, ...deployment.update };
  const windowMs = window ? parseDuration(window.duration) : undefined;
  return {
    name: deployment.name,
    ...(deployment.tenant === undefined ? {} : { tenant: deployment.tenant }),
    stack: deployment.stack,
    stackRevision: picked.stackRevision,
    ...(rollout === undefined
      ? {}
      : {
          rollout: {
            percent: currentPercent(rollout),
            bucket: picked.bucket,
            selected: picked.selected,
            ...(rollout.paused ? { paused: true } : {}),
            ...(rollout.steps ? { steps: rollout.steps } : {}),
          },
        }),
    update: {
      order: update.order ?? 'start-first',
      healthTimeoutMs: parseDuration(update.healthTimeout ?? '') ?? DEFAULT_HEALTH_TIMEOUT_MS,
      rollback: update.rollback ?? true,
    },
    ...(window && windowMs !== undefined
      ? { window: { cron: window.cron, durationMs: windowMs } }
      : {}),
  };
}

/** Where each bind mount of a tenant's services was written. */
function bindSites(services: readonly DesiredService[], yaml: YamlFile): BindSite[] {
  return services.flatMap((service) =>
    service.mounts.flatMap((mount, index) => {
      if (mount.type !== 'bind' || mount.origin) return [];
      const path = ['services', service.name, 'volumes', index];
      return [
        {
          service: service.name,
          index,
          at: { file: yaml.file, ...yaml.locate(path), path: formatPath(path) },
        },
      ];
    }),
  );
}

/** Whether an image reference names its content by digest (`repo[:tag]@sha256:<64 hex>`). */
export function isPinned(image: string): boolean {
  return /@sha256:[0-9a-f]{64}$/.test(image);
}
