// One Compose service (already schema-checked and interpolated) -> a DesiredService.
import { scopedName } from './scoped-name.js';
import {
  healthcheck,
  keyValues,
  logging,
  optional,
  parseMount,
  parsePort,
  splitWords,
  ulimits,
} from './compose-fields.js';
import { parseComposeBuild } from './compose-build.js';
import { configHash } from './config-hash.js';
import type { ComposeService, StringMapOrList, StringOrList } from './compose-model.js';
import type { DependencyCondition, DesiredService, Mount } from './desired-state.js';
import { parseByteSize, parseDuration } from '../duration.js';
import type { EnvFileEntry } from './fleet-model.js';
import type { ProblemSink } from './problem-sink.js';

/** What a service may refer to elsewhere in its stack. */
export interface StackContext {
  readonly deployment: string;
  readonly tenant?: string;
  /** Stack folder relative to the fleet root, for resolving build contexts. */
  readonly stackPath: string;
  readonly services: ReadonlySet<string>;
  readonly networks: ReadonlySet<string>;
  readonly volumes: ReadonlySet<string>;
  readonly envFiles: ReadonlyMap<string, readonly EnvFileEntry[]>;
}

type Path = (string | number)[];
type At = (...rest: Path) => Path;

const RESERVED_LABEL_PREFIX = 'ferry.';

export function normalizeService(
  name: string,
  raw: ComposeService,
  stack: StackContext,
  sink: ProblemSink,
): DesiredService {
  const at: At = (...rest) => ['services', name, ...rest];
  const duration = (field: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    const ms = parseDuration(value);
    if (ms === undefined) sink.add(at(field), `'${value}' is not a duration (e.g. 30s, 1m30s)`);
    return ms;
  };
  const service: Omit<DesiredService, 'configHash'> = {
    name,
    containerName: scopedName(stack.tenant, stack.deployment, name),
    image: raw.image ?? '',
    ...optional('build', buildSpec(raw.build, stack, sink, at)),
    ...optional('command', words(raw.command)),
    ...optional('entrypoint', words(raw.entrypoint)),
    environment: environment(raw, stack, sink, at),
    ports: listOf(raw.ports, parsePort, sink, at('ports')),
    mounts: mounts(raw.volumes, stack, sink, at),
    networks: serviceNetworks(raw.networks, raw.network_mode, stack, sink, at),
    ...optional('networkMode', raw.network_mode),
    restart: raw.restart ?? 'unless-stopped',
    ...optional('healthcheck', healthcheck(raw.healthcheck, duration)),
    dependsOn: dependsOn(raw.depends_on, name, stack, sink, at),
    devices: [...(raw.devices ?? [])],
    privileged: raw.privileged === true,
    capAdd: [...(raw.cap_add ?? [])],
    capDrop: [...(raw.cap_drop ?? [])],
    ...optional('user', raw.user),
    ...optional('workingDir', raw.working_dir),
    labels: labels(raw.labels, sink, at),
    ...resources(raw, sink, at),
    ...optional('stopGracePeriodMs', duration('stop_grace_period', raw.stop_grace_period)),
    ...optional('stopSignal', raw.stop_signal),
    extraHosts: Object.entries(
      keyValues(raw.extra_hosts, Array.isArray(raw.extra_hosts) ? ':' : '='),
    ).map(([h, ip]) => `${h}:${ip ?? ''}`),
    tmpfs:
      raw.tmpfs === undefined ? [] : typeof raw.tmpfs === 'string' ? [raw.tmpfs] : [...raw.tmpfs],
    readOnly: raw.read_only === true,
    ulimits: ulimits(raw.ulimits),
    sysctls: definedValues(keyValues(raw.sysctls)),
    ...optional('logging', logging(raw.logging)),
  };
  const { build: _build, ...runtime } = service;
  return {
    ...service,
    configHash: configHash({ deployment: stack.deployment, tenant: stack.tenant, ...runtime }),
  };
}

/** A command as words: a list as given, a string split the way a shell would. */
function words(value: StringOrList | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? splitWords(value) : [...value];
}

/** Memory, CPU and process limits, from the service keys or `deploy.resources.limits`. */
function resources(
  raw: ComposeService,
  sink: ProblemSink,
  at: At,
): Pick<DesiredService, 'memLimitBytes' | 'cpus' | 'pidsLimit'> {
  const limits = raw.deploy?.resources?.limits ?? {};
  const memory = raw.mem_limit ?? limits.memory;
  const memLimitBytes = memory === undefined ? undefined : parseByteSize(memory);
  if (memory !== undefined && memLimitBytes === undefined)
    sink.add(
      at(raw.mem_limit === undefined ? 'deploy' : 'mem_limit'),
      `'${String(memory)}' is not a memory size (e.g. 256m)`,
    );
  const cpuValue = raw.cpus ?? limits.cpus;
  const cpus = cpuValue === undefined ? undefined : Number(cpuValue);
  if (cpus !== undefined && !(cpus > 0))
    sink.add(at('cpus'), `'${String(cpuValue)}' is not a CPU count`);
  return {
    ...optional('memLimitBytes', memLimitBytes),
    ...optional('cpus', cpus),
    ...optional('pidsLimit', limits.pids),
  };
}

function listOf<S, T>(
  items: readonly S[] | undefined,
  parse: (spec: S) => { ok: T } | { error: string },
  sink: ProblemSink,
  path: Path,
): T[] {
  const out: T[] = [];
  for (const [index, spec] of (items ?? []).entries()) {
    const parsed = parse(spec);
    if ('error' in parsed) sink.add([...path, index], parsed.error);
    else out.push(parsed.ok);
  }
  return out;
}

function definedValues(map: Record<string, string | null>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(map).filter((e): e is [string, string] => e[1] !== null),
  );
}

function buildSpec(
  build: ComposeService['build'],
  stack: StackContext,
  sink: ProblemSink,
  at: At,
): DesiredService['build'] {
  if (build === undefined) return undefined;
  const parsed = parseComposeBuild(build, stack.stackPath);
  if ('error' in parsed) {
    sink.add(at('build'), parsed.error);
    return undefined;
  }
  const { context, dockerfile, args, target, platforms } = parsed.ok;
  return {
    context,
    dockerfile,
    args: definedValues(args),
    ...optional('target', target),
    platforms: [...platforms],
  };
}

function environment(
  raw: ComposeService,
  stack: StackContext,
  sink: ProblemSink,
  at: At,
): Record<string, string> {
  const env: Record<string, string> = {};
  const files =
    raw.env_file === undefined
      ? []
      : typeof raw.env_file === 'string'
        ? [raw.env_file]
        : raw.env_file;
  for (const [index, file] of files.entries()) {
    const entries = stack.envFiles.get(file);
    if (!entries)
      sink.add(
        at('env_file', ...(Array.isArray(raw.env_file) ? [index] : [])),
        `env file '${file}' could not be read`,
      );
    for (const entry of entries ?? []) env[entry.key] = entry.value;
  }
  Object.assign(env, definedValues(keyValues(raw.environment)));
  return env;
}

function mounts(
  volumes: ComposeService['volumes'],
  stack: StackContext,
  sink: ProblemSink,
  at: At,
): Mount[] {
  const parsed = listOf(volumes, parseMount, sink, at('volumes'));
  for (const [index, mount] of parsed.entries()) {
    if (mount.type === 'volume' && !stack.volumes.has(mount.source)) {
      sink.add(
        at('volumes', index),
        `volume '${mount.source}' is not declared under top-level 'volumes:'`,
      );
    }
  }
  return parsed;
}

function serviceNetworks(
  value: ComposeService['networks'],
  mode: string | undefined,
  stack: StackContext,
  sink: ProblemSink,
  at: At,
): string[] {
  const names: readonly string[] =
    value === undefined ? [] : isList(value) ? value : Object.keys(value);
  if (mode !== undefined) {
    if (names.length > 0)
      sink.add(at('network_mode'), `network_mode '${mode}' cannot be combined with networks`);
    const peer = mode.startsWith('service:') ? mode.slice('service:'.length) : undefined;
    if (peer !== undefined && !stack.services.has(peer))
      sink.add(at('network_mode'), `service '${peer}' is not in this stack`);
    return [];
  }
  for (const network of names) {
    if (network !== 'default' && !stack.networks.has(network)) {
      sink.add(at('networks'), `network '${network}' is not declared under top-level 'networks:'`);
    }
  }
  return names.length > 0 ? [...names].sort() : ['default'];
}

function dependsOn(
  value: ComposeService['depends_on'],
  self: string,
  stack: StackContext,
  sink: ProblemSink,
  at: At,
): DesiredService['dependsOn'] {
  if (value === undefined) return [];
  const entries: [string, DependencyCondition][] = isList(value)
    ? value.map((s) => [s, 'service_started'])
    : Object.entries(value).map(([s, d]) => [s, d.condition]);
  for (const [service] of entries) {
    if (service === self) sink.add(at('depends_on'), `a service cannot depend on itself`);
    else if (!stack.services.has(service))
      sink.add(at('depends_on'), `service '${service}' is not in this stack`);
  }
  return entries
    .map(([service, condition]) => ({ service, condition }))
    .sort((a, b) => a.service.localeCompare(b.service));
}

function labels(
  value: StringMapOrList | undefined,
  sink: ProblemSink,
  at: At,
): Record<string, string> {
  const map = keyValues(value);
  for (const key of Object.keys(map)) {
    if (key.startsWith(RESERVED_LABEL_PREFIX))
      sink.add(
        at('labels', key),
        `labels starting with '${RESERVED_LABEL_PREFIX}' are reserved for Ferry`,
        true,
      );
  }
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, v ?? '']));
}

/** Array.isArray that keeps readonly arrays apart from the record of a union. */
function isList<T>(value: readonly T[] | object): value is readonly T[] {
  return Array.isArray(value);
}
