// Small builders for fleets in unit tests: a fleet.yaml, device files and compose files as text.
import { SchemaValidator } from '#kernel/validate.js';
import type { LoadedFleet } from '#kernel/fleet/fleet-model.js';
import { loadFleet } from '#kernel/fleet/load-fleet.js';
import { MemoryReader, type FleetFiles } from './memory-reader.js';

export const validator = new SchemaValidator();

export const simpleCompose = `services:
  app:
    image: registry.test/app@sha256:${'a'.repeat(64)}
    environment: { MODE: prod }
`;

/** A fleet with the given deployments (YAML list items) and devices (id -> YAML). */
export function fleetFiles(
  deployments: string,
  devices: Record<string, string>,
  stacks: Record<string, string> = {},
  extra = '',
): Record<string, string> {
  const files: Record<string, string> = {
    'fleet.yaml': `apiVersion: ferry/v1\nkind: Fleet\ndeployments:\n${deployments}\n${extra}`,
  };
  for (const [id, yaml] of Object.entries(devices)) files[`devices/${id}.yaml`] = yaml;
  for (const [path, yaml] of Object.entries(stacks)) files[`${path}/compose.yaml`] = yaml;
  return files;
}

export function load(
  files: FleetFiles,
  revisions: Record<string, FleetFiles> = {},
): Promise<LoadedFleet> {
  return loadFleet(new MemoryReader(files, 'head', revisions), validator);
}
