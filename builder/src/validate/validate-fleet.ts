// `ferry validate`: every problem in a fleet, including those that only show for some devices.
import { InvalidInputError } from '../../../schema/src/errors.js';
import type { Problem } from '../../../schema/src/problem.js';
import { SchemaValidator } from '../../../schema/src/validate.js';
import { loadFleet } from '../../../daemon/src/desired/load-fleet.js';
import { resolveDevice } from '../../../daemon/src/desired/resolve-device.js';
import type { FleetReader } from '../../../daemon/src/source/fleet-reader.js';

export interface ValidationReport {
  readonly valid: boolean;
  readonly deployments: number;
  readonly devices: readonly string[];
  /** Each problem once; one that shows for several devices lists them all. */
  readonly problems: readonly (Problem & { readonly devices?: readonly string[] })[];
}

export async function validateFleet(reader: FleetReader): Promise<ValidationReport> {
  let fleet;
  try {
    fleet = await loadFleet(reader, new SchemaValidator());
  } catch (error) {
    if (error instanceof InvalidInputError)
      return { valid: false, deployments: 0, devices: [], problems: error.problems };
    throw error;
  }
  // Devices named only in a deployment's target still get resolved: a typo there is a problem too.
  const named = fleet.fleet.deployments.flatMap((d) => d.target.devices ?? []);
  const devices = [...new Set([...fleet.devices.keys(), ...named])].sort();
  const byKey = new Map<string, Problem & { devices: string[] }>();
  for (const device of devices) {
    for (const problem of resolveDevice(fleet, device).problems) {
      const { device: _device, ...located } = problem;
      const key = JSON.stringify(located);
      const seen = byKey.get(key);
      if (seen) seen.devices.push(device);
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
  };
}
