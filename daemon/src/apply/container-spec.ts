// A desired service -> the Docker Engine API's container create options (API 1.41).
import type Docker from 'dockerode';
import type { DesiredService } from '#kernel/fleet/desired-state.js';
import { LABEL } from '../plan/labels.js';
import type { ContainerContext } from '../plan/steps.js';
import type { ExtraNetwork } from './container-engine.js';
import { hostConfig, type PortBindings } from './host-config.js';

const NS_PER_MS = 1_000_000;

export function containerSpec(
  name: string,
  service: DesiredService,
  context: ContainerContext,
  deployment: string,
): Docker.ContainerCreateOptions {
  const { exposed, bindings } = portSpec(service);
  const [firstNetwork] = service.networks;
  return {
    name,
    Image: service.image,
    Labels: containerLabels(service, context, deployment),
    Env: Object.entries(service.environment).map(([k, v]) => `${k}=${v}`),
    ...(service.command ? { Cmd: [...service.command] } : {}),
    ...(service.entrypoint ? { Entrypoint: [...service.entrypoint] } : {}),
    ...(service.user ? { User: service.user } : {}),
    ...(service.workingDir ? { WorkingDir: service.workingDir } : {}),
    ...(service.stopSignal ? { StopSignal: service.stopSignal } : {}),
    ...(service.stopGracePeriodMs !== undefined
      ? { StopTimeout: Math.ceil(service.stopGracePeriodMs / 1000) }
      : {}),
    ...(service.hostname ? { Hostname: service.hostname } : {}),
    ...(service.domainname ? { Domainname: service.domainname } : {}),
    ...(service.macAddress ? { MacAddress: service.macAddress } : {}),
    ...(service.tty ? { Tty: true } : {}),
    ...(service.stdinOpen ? { OpenStdin: true } : {}),
    ExposedPorts: exposed,
    ...(service.healthcheck ? { Healthcheck: healthcheck(service.healthcheck) } : {}),
    HostConfig: hostConfig(service, context, networkModeOf(service, context), bindings),
    ...(firstNetwork && !service.networkMode
      ? {
          NetworkingConfig: {
            EndpointsConfig: {
              [context.networks[firstNetwork] ?? firstNetwork]: endpointConfig(
                service,
                firstNetwork,
              ),
            },
          },
        }
      : {}),
  };
}

/** `service:NAME` as the engine's `container:ENGINE_NAME`; otherwise the first network. */
function networkModeOf(service: DesiredService, context: ContainerContext): string | undefined {
  const mode = service.networkMode;
  if (mode?.startsWith('service:'))
    return `container:${context.containers[mode.slice('service:'.length)] ?? ''}`;
  const [firstNetwork] = service.networks;
  return mode ?? (firstNetwork ? context.networks[firstNetwork] : undefined);
}

/** How the container joins `network`: its service name and aliases, and a fixed address. */
export function endpointConfig(service: DesiredService, network: string): Docker.EndpointSettings {
  const endpoint = service.endpoints?.[network];
  const ipam = {
    ...(endpoint?.ipv4Address ? { IPv4Address: endpoint.ipv4Address } : {}),
    ...(endpoint?.ipv6Address ? { IPv6Address: endpoint.ipv6Address } : {}),
  };
  return {
    Aliases: [service.name, ...(endpoint?.aliases ?? [])],
    ...(Object.keys(ipam).length > 0 ? { IPAMConfig: ipam } : {}),
  };
}

/** Ferry's labels (docs/ferryd.md) over the service's own. */
function containerLabels(
  service: DesiredService,
  context: ContainerContext,
  deployment: string,
): Record<string, string> {
  return {
    ...service.labels,
    [LABEL.managed]: 'true',
    [LABEL.device]: context.device,
    [LABEL.deployment]: deployment,
    [LABEL.service]: service.name,
    [LABEL.revision]: context.revision ?? '',
    [LABEL.configHash]: service.configHash,
    [LABEL.image]: service.image,
    ...(context.tenant ? { [LABEL.tenant]: context.tenant } : {}),
  };
}

function portSpec(service: DesiredService): {
  exposed: Record<string, object>;
  bindings: PortBindings;
} {
  const exposed: Record<string, object> = {};
  const bindings: PortBindings = {};
  for (const port of service.expose ?? []) exposed[port] = {};
  for (const port of service.ports) {
    const key = `${port.target}/${port.protocol}`;
    exposed[key] = {};
    {
      // No host port: the engine picks a free one, as Compose publishes "8080".
      const host =
        port.published === undefined
          ? ''
          : port.publishedTo
            ? `${port.published}-${port.publishedTo}`
            : `${port.published}`;
      bindings[key] = [
        ...(bindings[key] ?? []),
        { HostPort: host, ...(port.hostIp ? { HostIp: port.hostIp } : {}) },
      ];
    }
  }
  return { exposed, bindings };
}

/** Networks beyond the first, which the engine (API 1.41) only attaches after create. */
export function extraNetworks(service: DesiredService, context: ContainerContext): ExtraNetwork[] {
  if (service.networkMode) return [];
  return service.networks
    .slice(1)
    .map((n) => ({ name: context.networks[n] ?? n, endpoint: endpointConfig(service, n) }));
}

function healthcheck(check: NonNullable<DesiredService['healthcheck']>): Docker.HealthConfig {
  return {
    Test: [...check.test],
    ...(check.intervalMs !== undefined ? { Interval: check.intervalMs * NS_PER_MS } : {}),
    ...(check.timeoutMs !== undefined ? { Timeout: check.timeoutMs * NS_PER_MS } : {}),
    ...(check.retries !== undefined ? { Retries: check.retries } : {}),
    ...(check.startPeriodMs !== undefined ? { StartPeriod: check.startPeriodMs * NS_PER_MS } : {}),
    // Engines before 25.0 (API 1.44) ignore it; docs/fleet-format.md says so.
    ...(check.startIntervalMs !== undefined
      ? { StartInterval: check.startIntervalMs * NS_PER_MS }
      : {}),
  };
}
