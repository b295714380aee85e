// What a fleet change does to one device: the pure core of `ferry plan`. The same resolver and
// layer diff as ferryd, so the preview is what the device will do.
import { canonicalJson } from '#kernel/fleet/config-hash.js';
import type {
  DesiredDeployment,
  DesiredService,
  DesiredState,
} from '#kernel/fleet/desired-state.js';
import { updateOrder } from '#kernel/fleet/update-order.js';
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
    /** What differs (image, environment, ports, volumes, healthcheck, ...), for a recreate. */
    readonly why?: readonly string[];
    /** The old container is stopped before the new one starts: the service is down meanwhile. */
    readonly downtime?: string;
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

interface Placed {
  readonly hash: string;
  readonly image: string;
  readonly service: DesiredService;
  readonly deployment: DesiredDeployment;
}

function services(state: DesiredState | undefined): Map<string, Placed> {
  const out = new Map<string, Placed>();
  for (const d of state?.deployments ?? [])
    for (const s of d.services)
      out.set(`${d.name}/${s.name}`, {
        hash: s.configHash,
        image: s.image,
        service: s,
        deployment: d,
      });
  return out;
}

/** The names a reviewer knows for what differs between two versions of a service. */
const FIELD_NAMES: Readonly<Record<string, string>> = {
  mounts: 'volumes',
  dependsOn: 'depends_on',
  networkMode: 'network_mode',
  restartPolicy: 'restart',
};
const NOT_CONTENT = new Set(['configHash', 'containerName', 'name']);

/** Which of a service's settings differ between two versions. */
export function changedFields(before: DesiredService, after: DesiredService): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  const differs = [...keys].filter(
    (key) =>
      !NOT_CONTENT.has(key) &&
      canonicalJson((before as unknown as Record<string, unknown>)[key] ?? null) !==
        canonicalJson((after as unknown as Record<string, unknown>)[key] ?? null),
  );
  return differs.map((key) => FIELD_NAMES[key] ?? key).sort();
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
    else if (previous.hash !== next.hash) {
      const why = changedFields(previous.service, next.service);
      const order = updateOrder(next.deployment, next.service);
      changes.push({
        deployment,
        service,
        change: 'recreate',
        ...(why.length > 0 ? { why } : {}),
        ...(order.order === 'stop-first' ? { downtime: order.why ?? 'stop-first' } : {}),
      });
    }
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
