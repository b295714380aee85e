// One deployment's compose file (interpolated) -> its services, networks and volumes, with the
// rules that span services: profiles, links as aliases, `depends_on.restart`, names of networks
// and volumes (`name:`, `external:`) and their drivers and options.
import { keyValues, optional } from './compose-fields.js';
import type {
  ComposeExternal,
  ComposeFile,
  ComposeNetwork,
  ComposeVolume,
  StringMapOrList,
} from './compose-model.js';
import { dependencyOrder } from './dependency-order.js';
import type { DesiredNetwork, DesiredService, DesiredVolume } from './desired-state.js';
import type { StackContext } from './normalize-context.js';
import { linkAliases } from './normalize-networking.js';
import { normalizeService, withHash } from './normalize-service.js';
import type { ProblemSink } from './problem-sink.js';
import { scopedName } from './scoped-name.js';

export interface ResolvedStack {
  readonly services: DesiredService[];
  readonly networks: DesiredNetwork[];
  readonly volumes: DesiredVolume[];
}

export function resolveStack(
  compose: ComposeFile,
  context: StackContext,
  profiles: readonly string[],
  sink: ProblemSink,
): ResolvedStack {
  const enabled = Object.entries(compose.services).filter(
    ([, service]) =>
      service.profiles === undefined || service.profiles.some((p) => profiles.includes(p)),
  );
  const inStack = { ...context, services: new Set(enabled.map(([name]) => name)) };
  let services = enabled.map(([name, raw]) => normalizeService(name, raw, inStack, sink));
  services = withLinkAliases(services, linkAliases(Object.fromEntries(enabled), sink), context);
  services = withRestartDependencies(services, context);
  const used = new Set(services.flatMap((s) => s.networks));
  const networks = Object.keys(compose.networks ?? {})
    .filter((n) => used.has(n) || n !== 'default')
    .concat(used.has('default') && !compose.networks?.default ? ['default'] : [])
    .sort()
    .map((name) => desiredNetwork(name, compose.networks?.[name] ?? null, context));
  const volumes = Object.keys(compose.volumes ?? {})
    .sort()
    .map((name) => desiredVolume(name, compose.volumes?.[name] ?? null, context));
  return { services, networks, volumes };
}

function withLinkAliases(
  services: DesiredService[],
  aliases: ReadonlyMap<string, readonly string[]>,
  context: StackContext,
): DesiredService[] {
  return services.map((service) => {
    const extra = aliases.get(service.name);
    if (!extra || service.networkMode !== undefined) return service;
    const endpoints = { ...service.endpoints };
    for (const network of service.networks) {
      const endpoint = endpoints[network] ?? {};
      const merged = [...new Set([...(endpoint.aliases ?? []), ...extra])].sort();
      endpoints[network] = { ...endpoint, aliases: merged };
    }
    return withHash({ ...service, endpoints }, context);
  });
}

/**
 * `depends_on: { db: { restart: true } }`: this service is recreated whenever `db` is. Folding the
 * dependency's config hash into this one makes the planner see a change in both (in start order,
 * so a chain a -> b -> c passes c's change along to a).
 */
function withRestartDependencies(
  services: DesiredService[],
  context: StackContext,
): DesiredService[] {
  const restartDeps = (s: DesiredService) =>
    s.dependsOn.filter((d) => d.restartWith).map((d) => d.service);
  if (!services.some((s) => restartDeps(s).length > 0)) return services;
  let ordered: DesiredService[];
  try {
    ordered = dependencyOrder(services);
  } catch {
    return services; // the cycle is reported where the deployment is checked
  }
  const byName = new Map<string, DesiredService>();
  for (const service of ordered) {
    const deps = restartDeps(service);
    const hashes = deps.map((d) => byName.get(d)?.configHash ?? '');
    byName.set(
      service.name,
      deps.length === 0 ? service : withHash(service, context, { restartWith: hashes }),
    );
  }
  return services.map((s) => byName.get(s.name) ?? s);
}

function labelsOf(value: StringMapOrList | undefined): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  return Object.fromEntries(Object.entries(keyValues(value)).map(([k, v]) => [k, v ?? '']));
}

function stringOpts(
  options: Readonly<Record<string, string | number>> | undefined,
): Record<string, string> | undefined {
  return options && Object.fromEntries(Object.entries(options).map(([k, v]) => [k, String(v)]));
}

function desiredNetwork(
  name: string,
  spec: ComposeNetwork | null,
  context: StackContext,
): DesiredNetwork {
  const ipam = spec?.ipam;
  return {
    name,
    engineName: objectName(name, spec, context),
    internal: spec?.internal === true,
    ...optional('external', spec?.external === undefined ? undefined : spec.external !== false),
    ...optional('driver', spec?.driver),
    ...optional('driverOpts', stringOpts(spec?.driver_opts)),
    ...optional('enableIpv6', spec?.enable_ipv6),
    ...optional('attachable', spec?.attachable),
    ...optional('labels', labelsOf(spec?.labels)),
    ...optional(
      'ipam',
      ipam && {
        ...optional('driver', ipam.driver),
        config: (ipam.config ?? []).map((c) => ({
          ...optional('subnet', c.subnet),
          ...optional('ipRange', c.ip_range),
          ...optional('gateway', c.gateway),
          ...optional('auxAddresses', c.aux_addresses),
        })),
        ...optional('options', ipam.options),
      },
    ),
  };
}

function desiredVolume(
  name: string,
  spec: ComposeVolume | null,
  context: StackContext,
): DesiredVolume {
  return {
    name,
    engineName: objectName(name, spec, context),
    ...optional('external', spec?.external === undefined ? undefined : spec.external !== false),
    ...optional('driver', spec?.driver),
    ...optional('driverOpts', stringOpts(spec?.driver_opts)),
    ...optional('labels', labelsOf(spec?.labels)),
  };
}

/**
 * The engine name of a network or volume: its `name:` (an external one is found by it as
 * written; a tenant's own is prefixed with the tenant), else one scoped to the deployment.
 */
function objectName(
  name: string,
  spec: { readonly name?: string; readonly external?: ComposeExternal } | null,
  context: StackContext,
): string {
  const legacy = typeof spec?.external === 'object' ? spec.external.name : undefined;
  const given = spec?.name ?? legacy ?? (spec?.external ? name : undefined);
  if (given === undefined) return scopedName(context.tenant, context.deployment, name);
  return context.tenant === undefined || spec?.external ? given : `${context.tenant}_${given}`;
}
