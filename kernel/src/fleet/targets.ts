// Which deployments take a device: by its labels (with the facts it reports) or by its id.
import type { DeviceFacts } from './desired-state.js';
import type { Deployment, LoadedDevice } from './fleet-model.js';

/** A device's labels as targets see them: its file's labels, plus `arch` and `os` it reports. */
export function deviceLabels(
  device: LoadedDevice | undefined,
  facts: DeviceFacts,
): Record<string, string> {
  const labels: Record<string, string> = { ...device?.spec.labels };
  if (facts.arch) labels.arch = facts.arch;
  if (facts.os) labels.os = facts.os;
  return labels;
}

/** Whether a deployment's target takes this device: every target label matches, or it is listed. */
export function targets(
  deployment: Deployment,
  deviceId: string,
  labels: Readonly<Record<string, string>>,
): boolean {
  const { labels: wanted, devices } = deployment.target;
  if (devices?.includes(deviceId)) return true;
  if (!wanted || Object.keys(wanted).length === 0) return false;
  return Object.entries(wanted).every(([key, value]) => labels[key] === value);
}

/** Resolves one device's desired state; problems name the file, line, path and the device. */
