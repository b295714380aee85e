// `ferry plan REPO --base A --head B`: per device, what changes and what it will download.
import type { DesiredState } from '#kernel/fleet/desired-state.js';
import type { LoadedFleet } from '#kernel/fleet/fleet-model.js';
import { loadFleet } from '#kernel/fleet/load-fleet.js';
import { resolveDevice } from '#kernel/fleet/resolve-device.js';
import type { RemoteLayer } from '#kernel/oci/layer-diff.js';
import type { RegistryClient } from '#kernel/oci/registry-client.js';
import { resolveImage, type Platform } from '#kernel/oci/resolve-image.js';
import { gitDirOf, GitTreeReader } from '#kernel/source/git-tree-reader.js';
import { InvalidInputError } from '#kernel/errors.js';
import type { SchemaValidator } from '#kernel/validate.js';
import { planDevice, type DevicePlan } from './device-changes.js';

export interface RolloutPlan {
  readonly base: string;
  readonly head: string;
  readonly devices: readonly DevicePlan[];
  readonly totals: { readonly devicesChanging: number; readonly downloadBytes: number };
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

export async function planRollout(
  repo: string,
  base: string,
  head: string,
  root: string,
  validator: SchemaValidator,
  registry: RegistryClient,
): Promise<RolloutPlan> {
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

  const devices: DevicePlan[] = [];
  for (const device of [...ids].sort()) {
    const platform = platformOf(headFleet.devices.has(device) ? headFleet : baseFleet, device);
    const before = stateOf(baseFleet, device, platform);
    const after = stateOf(headFleet, device, platform);
    const images = new Set(
      [before, after].flatMap(
        (s) => s?.deployments.flatMap((d) => d.services.map((x) => x.image)) ?? [],
      ),
    );
    const layersOf = new Map<string, readonly RemoteLayer[]>();
    for (const image of images) layersOf.set(image, await layersFor(image, platform));
    devices.push(planDevice(device, before, after, layersOf));
  }
  return {
    base: baseReader.revision,
    head: headReader.revision,
    devices,
    totals: {
      devicesChanging: devices.filter((d) => d.changes.length > 0).length,
      downloadBytes: devices.reduce((sum, d) => sum + d.downloadBytes, 0),
    },
  };
}
