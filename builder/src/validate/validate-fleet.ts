// `ferry validate`: every problem in a fleet, including those that only show for some devices.
import type { Problem } from '#kernel/problem.js';
import { SchemaValidator } from '#kernel/validate.js';
import { loadFleetReport } from '#kernel/fleet/load-fleet.js';
import type { LoadedFleet } from '#kernel/fleet/fleet-model.js';
import { ProblemSink } from '#kernel/fleet/problem-sink.js';
import { builtRepositories, deployedServices, tryKey } from '../pin/built-repositories.js';
import { isPinned, resolveDevice } from '#kernel/fleet/resolve-device.js';
import type { FleetReader } from '#kernel/source/fleet-reader.js';

export interface ValidationReport {
  readonly valid: boolean;
  readonly deployments: number;
  readonly devices: readonly string[];
  /** Each problem once; one that shows for several devices lists them all. */
  readonly problems: readonly (Problem & { readonly devices?: readonly string[] })[];
  /** What works but deserves a look (images given by tag); never fails validation. */
  readonly warnings: readonly Problem[];
}

/**
 * Images given by tag in the deployed stacks. A device resolves a tag once and keeps what it got,
 * so two devices (or one device before and after a restart) can run different bits under one tag.
 * With `policy.requirePinnedImages` the resolver refuses them instead (a problem, not a warning).
 */
function tagWarnings(fleet: LoadedFleet): Problem[] {
  if (fleet.fleet.policy?.requirePinnedImages) return [];
  const built = builtRepositories(fleet);
  const warnings: Problem[] = [];
  for (const { stack, services } of deployedServices(fleet)) {
    const sink = new ProblemSink(stack.yaml);
    for (const [name, service] of Object.entries(services)) {
      const image = service?.image;
      if (typeof image !== 'string' || image === '' || isPinned(image)) continue;
      const key = tryKey(image);
      sink.add(
        ['services', name, 'image'],
        key && built.has(key)
          ? `warning: built image '${image}' is not pinned yet (ferry build --push --commit pins it)`
          : key
            ? `warning: image '${image}' is given by tag: devices may run different bits under one tag; pin it by digest (ferry pin)`
            : `warning: image '${image}' has no digest: devices may run different bits under one tag; write the digest into the file or the variable`,
      );
    }
    warnings.push(...sink.problems);
  }
  return warnings;
}

export async function validateFleet(reader: FleetReader): Promise<ValidationReport> {
  const loaded = await loadFleetReport(reader, new SchemaValidator());
  const fleet = loaded.fleet;
  if (!fleet)
    return { valid: false, deployments: 0, devices: [], problems: loaded.problems, warnings: [] };
  // Devices named only in a deployment's target still get resolved: a typo there is a problem too.
  const named = fleet.fleet.deployments.flatMap((d) => d.target.devices ?? []);
  const devices = [...new Set([...fleet.devices.keys(), ...named])].sort();
  const byKey = new Map<string, Problem & { devices?: string[] }>();
  for (const problem of loaded.problems) byKey.set(JSON.stringify(problem), problem);
  for (const device of devices) {
    for (const problem of resolveDevice(fleet, device).problems) {
      const { device: _device, ...located } = problem;
      const key = JSON.stringify(located);
      const seen = byKey.get(key);
      if (seen) seen.devices?.push(device);
      else byKey.set(key, { ...located, devices: [device] });
    }
  }
  for (const id of named) {
    if (!fleet.devices.has(id)) {
      const problem = {
        file: 'fleet.yaml',
        line: 1,
        col: 1,
        path: '',
        message: `device '${id}' is targeted but has no devices/${id}.yaml`,
      };
      byKey.set(JSON.stringify(problem), { ...problem, devices: [id] });
    }
  }
  const problems = [...byKey.values()].sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col,
  );
  return {
    valid: problems.length === 0,
    deployments: fleet.fleet.deployments.length,
    devices,
    problems,
    warnings: tagWarnings(fleet),
  };
}
