// How a service reaches and is reached: its networks (with aliases, fixed addresses and `links`),
// network_mode, published and exposed ports, DNS. Compose semantics, checked against the stack.
import { optional } from './compose-fields.js';
import type { ComposeService } from './compose-model.js';
import type { DesiredService, Endpoint, PortMapping } from './desired-state.js';
import { isList, listOf, type At, type StackContext } from './normalize-context.js';
import { parsePorts } from './compose-ports.js';
import type { ProblemSink } from './problem-sink.js';

type Networking = Pick<
  DesiredService,
  | 'ports'
  | 'networks'
  | 'networkMode'
  | 'endpoints'
  | 'expose'
  | 'dns'
  | 'dnsOptions'
  | 'dnsSearch'
  | 'macAddress'
>;

export function networking(
  raw: ComposeService,
  stack: StackContext,
  sink: ProblemSink,
  at: At,
): Networking {
  const mode = networkMode(raw.network_mode, stack, sink, at);
  const networks = serviceNetworks(raw, mode, stack, sink, at);
  const endpoints = serviceEndpoints(raw, networks, stack, sink, at);
  const ports: PortMapping[] = listOf(raw.ports, parsePorts, sink, at('ports')).flat();
  return {
    ports,
    networks,
    ...optional('networkMode', mode),
    ...optional('endpoints', Object.keys(endpoints).length > 0 ? endpoints : undefined),
    ...optional('expose', raw.expose?.map(exposed)),
    ...optional('dns', raw.dns === undefined ? undefined : list(raw.dns)),
    ...optional('dnsOptions', raw.dns_opt && [...raw.dns_opt]),
    ...optional('dnsSearch', raw.dns_search === undefined ? undefined : list(raw.dns_search)),
    ...optional('macAddress', raw.mac_address),
  };
}

function list(value: string | readonly string[]): string[] {
  return typeof value === 'string' ? [value] : [...value];
}

/** `80`, `"8080/udp"` -> `80/tcp`, `8080/udp`. */
function exposed(port: string | number): string {
  const text = String(port);
  return text.includes('/') ? text : `${text}/tcp`;
}

/** `default` is the engine's bridge, as in Compose; `service:` must name a service here. */
function networkMode(
  mode: string | undefined,
  stack: StackContext,
  sink: ProblemSink,
  at: At,
): string | undefined {
  if (mode === undefined) return undefined;
  if (mode === 'default') return 'bridge';
  const peer = mode.startsWith('service:') ? mode.slice('service:'.length) : undefined;
  if (peer !== undefined && !stack.services.has(peer))
    sink.add(at('network_mode'), `service '${peer}' is not in this stack`);
  return mode;
}

function serviceNetworks(
  raw: ComposeService,
  mode: string | undefined,
  stack: StackContext,
  sink: ProblemSink,
  at: At,
): string[] {
  const value = raw.networks;
  const names: readonly string[] =
    value === undefined ? [] : isList(value) ? value : Object.keys(value);
  if (mode !== undefined) {
    if (names.length > 0)
      sink.add(at('network_mode'), `network_mode '${mode}' cannot be combined with networks`);
    return [];
  }
  for (const network of names) {
    if (network !== 'default' && !stack.networks.has(network)) {
      sink.add(
        at('networks', network),
        `network '${network}' is not declared under top-level 'networks:'`,
      );
    }
  }
  return names.length > 0 ? [...names].sort() : ['default'];
}

/**
 * Aliases and fixed addresses per network. A `links: [db:database]` entry makes `database` an
 * alias of `db` on every network the two share: with `links` given on the service that wants the
 * name, the alias is added to the other service's endpoints by the resolver (linkAliases).
 */
function serviceEndpoints(
  raw: ComposeService,
  networks: readonly string[],
  stack: StackContext,
  sink: ProblemSink,
  at: At,
): Record<string, Endpoint> {
  const endpoints: Record<string, Endpoint> = {};
  if (raw.networks === undefined || isList(raw.networks)) return endpoints;
  for (const network of networks) {
    const spec = raw.networks[network];
    if (!spec) continue;
    const endpoint: Endpoint = {
      ...optional('aliases', spec.aliases && [...spec.aliases].sort()),
      ...optional('ipv4Address', spec.ipv4_address),
      ...optional('ipv6Address', spec.ipv6_address),
    };
    if ((spec.ipv4_address || spec.ipv6_address) && !stack.networksWithSubnet.has(network))
      sink.add(
        at('networks', network),
        `a fixed address needs a subnet: give network '${network}' an ipam config`,
      );
    if (Object.keys(endpoint).length > 0) endpoints[network] = endpoint;
  }
  return endpoints;
}

/**
 * `links:` of every service, as aliases: `web` with `links: [db:database]` gives `db` the alias
 * `database`. Returns the aliases to add, by service; a link to a service not in the stack is a
 * problem (links to containers outside the stack are `external_links`, which Ferry refuses).
 */
export function linkAliases(
  services: Readonly<Record<string, ComposeService>>,
  sink: ProblemSink,
): Map<string, string[]> {
  const aliases = new Map<string, string[]>();
  for (const [name, service] of Object.entries(services)) {
    for (const [index, link] of (service.links ?? []).entries()) {
      const [target = '', alias = target] = link.split(':');
      if (!(target in services)) {
        sink.add(['services', name, 'links', index], `service '${target}' is not in this stack`);
        continue;
      }
      if (alias !== target) aliases.set(target, [...(aliases.get(target) ?? []), alias]);
    }
  }
  return aliases;
}
