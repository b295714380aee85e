// `ferry plan REPO --base A --head B`: per device, what changes and what it will download.
import type { DesiredState } from '#kernel/fleet/desired-state.js';
import type { LoadedFleet } from '#kernel/fleet/fleet-model.js';
import { loadFleet } from '#kernel/fleet/load-fleet.js';
import { resolveDevice } from '#kernel/fleet/resolve-device.js';
import type { RemoteLayer } from '#kernel/oci/layer-diff.js';
import type { RegistryClient } from '#kernel/oci/registry-client.js';
import { resolveImage, type Platform } from '#kernel/oci/resolve-image.js';
import { gitDirOf } from '#kernel/source/git-revision.js';
import { GitTreeReader } from '#kernel/source/git-tree-reader.js';
import { InvalidInputError } from '#kernel/errors.js';
import type { SchemaValidator } from '#kernel/validate.js';
import { planDevice, type DevicePlan } from './device-changes.js';

export interface RolloutPlan {
  readonly base: string;
  readonly head: string;
  readonly devices: readonly PlannedDevice[];
  readonly totals: { readonly devicesChanging: number; readonly downloadBytes: number };
  /** With --hub: each device's status per deployment, as the hub last heard. */
  readonly fares?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** Per device, the revision each deployment runs as the hub knows it (`ferry plan --hub`). */
export type AppliedRevisions = ReadonlyMap<string, ReadonlyMap<string, string | null>>;

export interface PlanInputs {
  readonly repo: string;
  readonly base: string;
  readonly head: string;
  readonly root: string;
  readonly validator: SchemaValidator;
  readonly registry: RegistryClient;
  /** Devices the hub knows are planned from what they run; the others from `base`. */
  readonly applied?: AppliedRevisions;
  /** How each device fares per deployment, as the hub says (shown beside the rollout's steps). */
  readonly fares?: RolloutPlan['fares'];
}

function platformOf(fleet: LoadedFleet, device: string): Platform {
  const labels = fleet.devices.get(device)?.spec.labels ?? {};
  return {
    os: labels.os ?? 'linux',
    architecture: labels.arch ?? 'amd64',
    ...(labels.variant ? { variant: labels.variant } : {}),
  };
}

function stateOf(fleet: LoadedFleet, device: string, platform: Platform): DesiredState | undefined {
  const result = resolveDevice(fleet, device, { arch: platform.architecture, os: platform.os });
  if (!result.state && result.problems.length > 0) throw new InvalidInputError(result.problems);
  return result.state;
}

export async function planRollout(inputs: PlanInputs): Promise<RolloutPlan> {
  const { repo, base, head, root, validator, registry } = inputs;
  const gitdir = await gitDirOf(repo);
  const [baseReader, headReader] = await Promise.all([
    GitTreeReader.open({ gitdir, root }, base),
    GitTreeReader.open({ gitdir, root }, head),
  ]);
  const [baseFleet, headFleet] = await Promise.all([
    loadFleet(baseReader, validator),
    loadFleet(headReader, validator),
  ]);
  const ids = new Set([...baseFleet.devices.keys(), ...headFleet.devices.keys()]);
  for (const fleet of [baseFleet, headFleet])
    for (const d of fleet.fleet.deployments) for (const id of d.target.devices ?? []) ids.add(id);
  for (const id of inputs.applied?.keys() ?? []) ids.add(id);
  const fleetAt = fleetsAt({ gitdir, root }, validator);

  const layerCache = new Map<string, Promise<readonly RemoteLayer[]>>();
  const layersFor = (image: string, platform: Platform) => {
    const key = `${platform.os}/${platform.architecture}/${platform.variant ?? ''} ${image}`;
    let found = layerCache.get(key);
    if (!found) {
      found = resolveImage(registry, image, platform).then((r) => r.layers);
      layerCache.set(key, found);
    }
    return found;
  };

  const devices: PlannedDevice[] = [];
  for (const device of [...ids].sort()) {
    const platform = platformOf(headFleet.devices.has(device) ? headFleet : baseFleet, device);
    const applied = inputs.applied?.get(device);
    const fromHub = applied ? await appliedState(fleetAt, device, platform, applied) : undefined;
    const before = fromHub ?? stateOf(baseFleet, device, platform);
    const after = stateOf(headFleet, device, platform);
    const images = new Set(
      [before, after].flatMap(
        (s) => s?.deployments.flatMap((d) => d.services.map((x) => x.image)) ?? [],
      ),
    );
    const layersOf = new Map<string, readonly RemoteLayer[]>();
    for (const image of images) layersOf.set(image, await layersFor(image, platform));
    devices.push({
      ...planDevice(device, before, after, layersOf),
      from: fromHub ? 'hub' : 'base',
      ...(applied ? { applied: Object.fromEntries(applied) } : {}),
    });
  }
  return {
    base: baseReader.revision,
    head: headReader.revision,
    devices,
    totals: {
      devicesChanging: devices.filter((d) => d.changes.length > 0).length,
      downloadBytes: devices.reduce((sum, d) => sum + d.downloadBytes, 0),
    },
    ...(inputs.fares ? { fares: inputs.fares } : {}),
  };
}

/** A device's plan, and what it was planned from: what the hub says it runs, or `--base`. */
export interface PlannedDevice extends DevicePlan {
  readonly from: 'hub' | 'base';
  /** The revision of each deployment as the hub knows it. */
  readonly applied?: Readonly<Record<string, string | null>>;
}

type FleetAt = (revision: string) => Promise<LoadedFleet | undefined>;

/** The fleet at any revision, loaded once each; undefined when this clone lacks it or it is invalid. */
function fleetsAt(where: { gitdir: string; root: string }, validator: SchemaValidator): FleetAt {
  const loaded = new Map<string, Promise<LoadedFleet | undefined>>();
  return (revision) => {
    let found = loaded.get(revision);
    if (!found) {
      found = GitTreeReader.open(where, revision)
        .then((reader) => loadFleet(reader, validator))
        .catch(() => undefined);
      loaded.set(revision, found);
    }
    return found;
  };
}

/**
 * What a device runs, deployment by deployment, from the revisions the hub says it applied (a
 * device that rolled back runs an older revision than its neighbours). Undefined when a revision
 * cannot be read here: the device is then planned from --base, and the plan says so.
 */
async function appliedState(
  fleetAt: FleetAt,
  device: string,
  platform: Platform,
  applied: ReadonlyMap<string, string | null>,
): Promise<DesiredState | undefined> {
  const deployments = [];
  let labels = {};
  for (const [name, revision] of applied) {
    if (revision === null) continue;
    const fleet = await fleetAt(revision);
    if (!fleet) return undefined;
    const state = resolveDevice(fleet, device, {
      arch: platform.architecture,
      os: platform.os,
    }).state;
    const deployment = state?.deployments.find((d) => d.name === name);
    if (!state || !deployment) return undefined;
    labels = state.labels;
    deployments.push(deployment);
  }
  return { device, revision: null, labels, deployments };
}
