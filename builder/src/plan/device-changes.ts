// What a fleet change does to one device: the pure core of `ferry plan`. The same resolver and
// layer diff as ferryd, so the preview is what the device will do.
import type { DesiredState } from '#kernel/fleet/desired-state.js';
import {
  bytesToFetch,
  diffLayers,
  localChainIds,
  type RemoteLayer,
} from '#kernel/oci/layer-diff.js';

export type ServiceChange = 'create' | 'recreate' | 'remove';

export interface DevicePlan {
  readonly device: string;
  readonly changes: readonly {
    readonly deployment: string;
    readonly service: string;
    readonly change: ServiceChange;
  }[];
  readonly rollouts: readonly {
    readonly deployment: string;
    readonly percent: number;
    readonly bucket: number;
    readonly selected: boolean;
    /** The rollout controller paused it. */
    readonly paused?: boolean;
    readonly steps?: readonly number[];
  }[];
  /** Compressed bytes of head's layers that base's images do not provide on this device. */
  readonly downloadBytes: number;
  readonly layers: number;
}

/** Layers (as resolved for this device's platform) of each image reference. */
export type ImageLayers = ReadonlyMap<string, readonly RemoteLayer[]>;

function services(state: DesiredState | undefined): Map<string, { hash: string; image: string }> {
  const out = new Map<string, { hash: string; image: string }>();
  for (const d of state?.deployments ?? [])
    for (const s of d.services)
      out.set(`${d.name}/${s.name}`, { hash: s.configHash, image: s.image });
  return out;
}

export function planDevice(
  device: string,
  base: DesiredState | undefined,
  head: DesiredState | undefined,
  layersOf: ImageLayers,
): DevicePlan {
  const before = services(base);
  const after = services(head);
  const changes: DevicePlan['changes'][number][] = [];
  for (const [key, next] of after) {
    const [deployment = '', service = ''] = key.split('/');
    const previous = before.get(key);
    if (!previous) changes.push({ deployment, service, change: 'create' });
    else if (previous.hash !== next.hash) changes.push({ deployment, service, change: 'recreate' });
  }
  for (const key of before.keys()) {
    if (after.has(key)) continue;
    const [deployment = '', service = ''] = key.split('/');
    changes.push({ deployment, service, change: 'remove' });
  }
  // What the device has after base: every layer of base's images.
  const present = localChainIds(
    [...new Set([...before.values()].map((s) => s.image))].map((image) =>
      (layersOf.get(image) ?? []).map((l) => l.diffId),
    ),
  );
  const needs = [...new Set([...after.values()].map((s) => s.image))].flatMap((image) =>
    diffLayers(layersOf.get(image) ?? [], present),
  );
  const missing = needs.filter((n) => !n.present);
  return {
    device,
    changes,
    rollouts: (head?.deployments ?? []).flatMap((d) =>
      d.rollout ? [{ deployment: d.name, ...d.rollout }] : [],
    ),
    downloadBytes: bytesToFetch(needs),
    layers: new Set(missing.map((n) => n.digest)).size,
  };
}
