// One Compose service (already schema-checked and interpolated) -> a DesiredService. Each group of
// keys has its own normaliser: networking, resources, process options; this file holds the rest
// (image and build, command, environment, volumes, dependencies, restart, labels, health).
import { parseDuration } from '../duration.js';
import { builtImageName } from './built-image.js';
import { parseComposeBuild } from './compose-build.js';
import {
  envFilesOf,
  healthcheck,
  keyValues,
  logging,
  optional,
  splitWords,
  ulimits,
} from './compose-fields.js';
import type { ComposeService, StringMapOrList, StringOrList } from './compose-model.js';
import { mounts } from './normalize-mounts.js';
import { configHash } from './config-hash.js';
import type { DependencyCondition, DesiredService } from './desired-state.js';
import { isList, type At, type StackContext } from './normalize-context.js';
import { networking } from './normalize-networking.js';
import { processOptions } from './normalize-process.js';
import { resources } from './normalize-resources.js';
import type { ProblemSink } from './problem-sink.js';
import { scopedName } from './scoped-name.js';

export type { StackContext } from './normalize-context.js';

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
    containerName:
      fixedName(raw.container_name, stack) ?? scopedName(stack.tenant, stack.deployment, name),
    image: imageOf(name, raw, stack, sink, at),
    ...optional('build', buildSpec(raw.build, stack, sink, at)),
    ...optional('command', words(raw.command)),
    ...optional('entrypoint', words(raw.entrypoint)),
    environment: environment(raw, stack, sink, at),
    mounts: mounts(raw, stack, sink, at),
    ...networking(raw, stack, sink, at),
    ...restartPolicy(raw),
    ...optional('healthcheck', healthcheck(raw.healthcheck, duration)),
    dependsOn: dependsOn(raw, name, stack, sink, at),
    devices: (raw.devices ?? []).map((d) =>
      typeof d === 'string'
        ? d
        : [d.source, d.target ?? d.source, ...(d.permissions ? [d.permissions] : [])].join(':'),
    ),
    privileged: raw.privileged === true,
    capAdd: [...(raw.cap_add ?? [])],
    capDrop: [...(raw.cap_drop ?? [])],
    ...optional('user', raw.user === undefined ? undefined : String(raw.user)),
    ...optional('workingDir', raw.working_dir),
    labels: labels(raw.labels, sink, at),
    ...resources(raw, sink, at),
    ...optional('stopGracePeriodMs', duration('stop_grace_period', raw.stop_grace_period)),
    ...optional('stopSignal', raw.stop_signal),
    extraHosts: extraHosts(raw.extra_hosts),
    tmpfs:
      raw.tmpfs === undefined ? [] : typeof raw.tmpfs === 'string' ? [raw.tmpfs] : [...raw.tmpfs],
    readOnly: raw.read_only === true,
    ulimits: ulimits(raw.ulimits),
    sysctls: definedValues(keyValues(raw.sysctls)),
    ...optional('logging', logging(raw.logging)),
    ...optional('fixedName', fixedName(raw.container_name, stack)),
    ...processOptions(raw, stack, sink, at),
  };
  return withHash(service, stack);
}

/** The service with its config hash: everything that defines the container, not the build. */
export function withHash(
  service: Omit<DesiredService, 'configHash'>,
  stack: Pick<StackContext, 'deployment' | 'tenant'>,
  extra: Record<string, unknown> = {},
): DesiredService {
  const { build: _build, configHash: _old, ...runtime } = service as DesiredService;
  const hash = configHash({
    deployment: stack.deployment,
    tenant: stack.tenant,
    ...runtime,
    ...extra,
  });
  return { ...service, configHash: hash };
}

/** The image to run: as named, or for a service that only builds, named by the fleet's registry. */
function imageOf(
  name: string,
  raw: ComposeService,
  stack: StackContext,
  sink: ProblemSink,
  at: At,
): string {
  if (raw.image !== undefined) return raw.image;
  if (raw.build !== undefined && stack.registry !== undefined)
    return builtImageName(stack.registry, stack.stackPath, name);
  sink.add(
    at(),
    raw.build === undefined
      ? `service '${name}' names no image`
      : `service '${name}' builds an image but names none: give it image: REGISTRY/NAME, or set defaults.registry in fleet.yaml`,
  );
  return '';
}

/** A tenant's `container_name` is kept inside its own name space: `TENANT_NAME`. */
function fixedName(name: string | undefined, stack: StackContext): string | undefined {
  if (name === undefined) return undefined;
  return stack.tenant === undefined ? name : `${stack.tenant}_${name}`;
}

/** A command as words: a list as given, a string split the way a shell would; null resets. */
function words(value: StringOrList | null | undefined): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? splitWords(value) : [...value];
}

/** `on-failure:5` and `deploy.restart_policy` as the engine's restart policy. */
function restartPolicy(raw: ComposeService): Pick<DesiredService, 'restart' | 'restartMaxRetries'> {
  const policy = raw.deploy?.restart_policy;
  if (raw.restart === undefined && policy) {
    const restart =
      policy.condition === 'none'
        ? 'no'
        : policy.condition === 'on-failure'
          ? 'on-failure'
          : 'always';
    return {
      restart,
      ...optional('restartMaxRetries', restart === 'on-failure' ? policy.max_attempts : undefined),
    };
  }
  const [name = 'unless-stopped', retries] = (raw.restart ?? 'unless-stopped').split(':');
  return {
    restart: name as DesiredService['restart'],
    ...optional('restartMaxRetries', retries === undefined ? undefined : Number(retries)),
  };
}

function extraHosts(value: ComposeService['extra_hosts']): string[] {
  if (value === undefined) return [];
  if (isList(value))
    // "host=1.2.3.4" (newer Compose) and "host:1.2.3.4" both name a host and its address.
    return value.map((entry) => (/^[^:=]+=/.test(entry) ? entry.replace('=', ':') : entry));
  return Object.entries(value).flatMap(([host, ips]) =>
    (typeof ips === 'string' ? [ips] : ips).map((ip) => `${host}:${ip}`),
  );
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

/**
 * env files in order, then `environment`. An entry without a value (`- KEY`, `KEY:`) takes the
 * device's variable of that name, as Compose takes it from its own environment.
 */
function environment(
  raw: ComposeService,
  stack: StackContext,
  sink: ProblemSink,
  at: At,
): Record<string, string> {
  const env: Record<string, string> = {};
  // An env file that could not be read was reported where the stack was loaded.
  for (const file of envFilesOf(raw.env_file))
    for (const entry of stack.envFiles.get(file.path) ?? []) env[entry.key] = entry.value;
  for (const [key, value] of Object.entries(keyValues(raw.environment))) {
    if (value !== null) {
      env[key] = value;
      continue;
    }
    const passed = stack.vars(key);
    if (passed !== undefined) env[key] = passed;
    else
      sink.add(
        at('environment', ...(isList(raw.environment ?? []) ? [] : [key])),
        `'${key}' has no value here and the device has no variable ${key} (vars: in its devices/ file) to pass through`,
      );
  }
  return env;
}

/**
 * `depends_on` as start order and conditions. With `required: false` the dependency may be absent
 * (not in the stack, or left out by a profile) and is not waited for; `restart: true` recreates
 * this service whenever the dependency is (the resolver folds the dependency's hash into ours).
 */
function dependsOn(
  raw: ComposeService,
  self: string,
  stack: StackContext,
  sink: ProblemSink,
  at: At,
): DesiredService['dependsOn'] {
  const value = raw.depends_on;
  const links = (raw.links ?? []).map((l) => l.split(':')[0] ?? l);
  type Entry = [string, DependencyCondition, boolean, boolean];
  const entries: Entry[] = [
    ...(value === undefined
      ? []
      : isList(value)
        ? value.map((s): Entry => [s, 'service_started', true, false])
        : Object.entries(value).map(([s, d]): Entry => [
            s,
            d.condition,
            d.required ?? true,
            d.restart ?? false,
          ])),
    // Compose starts a linked service first.
    ...links
      .filter((l) => !(value && (isList(value) ? value.includes(l) : l in value)))
      .map((l): Entry => [l, 'service_started', true, false]),
  ];
  const out: DesiredService['dependsOn'][number][] = [];
  for (const [service, condition, required, restart] of entries) {
    if (service === self) sink.add(at('depends_on'), `a service cannot depend on itself`);
    else if (!stack.services.has(service)) {
      if (required) sink.add(at('depends_on'), `service '${service}' is not in this stack`);
    } else
      out.push({
        service,
        condition,
        ...(required ? {} : { optional: true }),
        ...(restart ? { restartWith: true } : {}),
      });
  }
  return out.sort((a, b) => a.service.localeCompare(b.service));
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
