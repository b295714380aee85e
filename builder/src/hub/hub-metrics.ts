// GET /metrics: fleet gauges computed from the devices at scrape time, the hub's own counters,
// and the standard process metrics (RSS, CPU, event-loop lag), through prom-client.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { FERRY_VERSION } from '#kernel/version.js';
import type { DeviceView } from './hub-views.js';

export interface HubMetrics {
  readonly registry: Registry;
  /** Reports received, by kind and what became of them (stored, duplicate, refused). */
  readonly reports: Counter<'kind' | 'result'>;
  /** Renders the registry, with the fleet gauges set from `devices` first. */
  render(devices: readonly DeviceView[]): Promise<string>;
}

/** One gauge sample: labels and value. */
export interface Sample<L extends string> {
  readonly labels: Record<L, string>;
  readonly value: number;
}

/** The fleet gauges of a set of devices (pure, so the counting has unit tests). */
export function fleetGauges(devices: readonly DeviceView[]) {
  const online = devices.filter((d) => d.online).length;
  const perDeployment = new Map<string, number>();
  for (const device of devices)
    for (const d of device.deployments) {
      const key = JSON.stringify([d.name, d.desiredRevision ?? '', d.status]);
      perDeployment.set(key, (perDeployment.get(key) ?? 0) + 1);
    }
  return {
    devices: [
      { labels: { state: 'online' }, value: online },
      { labels: { state: 'offline' }, value: devices.length - online },
    ] satisfies Sample<'state'>[],
    notConverged: devices.filter((d) => d.online && d.converged === false).length,
    notInFleet: devices.filter((d) => d.inFleet === false).length,
    frozen: devices.filter((d) => d.frozen !== null).length,
    deployments: [...perDeployment].map(([key, value]) => {
      const [deployment, revision, status] = JSON.parse(key) as [string, string, string];
      return { labels: { deployment, revision, status }, value };
    }) satisfies Sample<'deployment' | 'revision' | 'status'>[],
  };
}

export function hubMetrics(): HubMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'ferry_build_info',
    help: 'the running Ferry version',
    labelNames: ['version', 'program'],
    registers: [registry],
  }).set({ version: FERRY_VERSION, program: 'hub' }, 1);
  const devices = gauge(registry, 'ferry_hub_devices', 'devices by online state', ['state']);
  const notConverged = gauge(
    registry,
    'ferry_hub_devices_not_converged',
    'online devices whose last pass did not converge',
    [],
  );
  const notInFleet = gauge(
    registry,
    'ferry_hub_devices_not_in_fleet',
    'enrolled devices without a devices/<id>.yaml in the fleet repository',
    [],
  );
  const frozen = gauge(
    registry,
    'ferry_hub_devices_frozen',
    'devices whose beacon expired: they may be held on a stale state',
    [],
  );
  const deployments = gauge(
    registry,
    'ferry_hub_deployment_devices',
    'devices per deployment, desired revision and status',
    ['deployment', 'revision', 'status'],
  );
  const reports = new Counter({
    name: 'ferry_hub_reports_total',
    help: 'reports received from devices',
    labelNames: ['kind', 'result'] as const,
    registers: [registry],
  });
  return {
    registry,
    reports,
    async render(fleet) {
      const gauges = fleetGauges(fleet);
      devices.reset();
      for (const sample of gauges.devices) devices.set(sample.labels, sample.value);
      notConverged.set(gauges.notConverged);
      notInFleet.set(gauges.notInFleet);
      frozen.set(gauges.frozen);
      deployments.reset();
      for (const sample of gauges.deployments) deployments.set(sample.labels, sample.value);
      return registry.metrics();
    },
  };
}

function gauge<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
): Gauge<L> {
  return new Gauge({ name, help, labelNames, registers: [registry] });
}
