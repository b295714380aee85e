// Parsers for the Compose short syntaxes Ferry supports (ports, volumes, key=value lists).
import type {
  ComposeHealthcheck,
  ComposeLogging,
  ComposeMount,
  ComposePort,
  ComposeService,
  StringMapOrList,
} from './compose-model.js';
import type { DesiredService, Healthcheck, Mount, PortMapping } from './desired-state.js';

type Parsed<T> = { ok: T } | { error: string };

/** "8080:80", "127.0.0.1:8080:80/tcp", "7777/udp", 80, or the long form. */
export function parsePort(spec: ComposePort): Parsed<PortMapping> {
  if (typeof spec === 'number') return { ok: { target: spec, protocol: 'tcp' } };
  if (typeof spec === 'object') {
    const long = spec;
    const published = long.published === undefined ? undefined : Number(long.published);
    if (published !== undefined && !validPort(published))
      return { error: `invalid published port '${String(long.published)}'` };
    return {
      ok: {
        target: long.target,
        protocol: long.protocol ?? 'tcp',
        ...(published === undefined ? {} : { published }),
        ...(long.host_ip === undefined ? {} : { hostIp: long.host_ip }),
      },
    };
  }
  const text = String(spec);
  const match = /^(?:(?:(\[?[0-9a-fA-F.:]+\]?):)?(\d+):)?(\d+)(?:\/(tcp|udp))?$/.exec(text);
  if (!match)
    return {
      error: `'${text}' is not a port mapping Ferry supports (HOST:CONTAINER[/udp], ranges are not supported)`,
    };
  const [, hostIp, published, target, protocol] = match;
  const mapping: PortMapping = {
    target: Number(target),
    protocol: protocol === 'udp' ? 'udp' : 'tcp',
    ...(published === undefined ? {} : { published: Number(published) }),
    ...(hostIp === undefined ? {} : { hostIp: hostIp.replace(/^\[|\]$/g, '') }),
  };
  if (
    !validPort(mapping.target) ||
    (mapping.published !== undefined && !validPort(mapping.published))
  ) {
    return { error: `'${text}' has a port outside 1-65535` };
  }
  return { ok: mapping };
}

function validPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** "data:/var/lib/x", "data:/var/lib/x:ro", "/srv/acme:/data", or the long form. */
export function parseMount(spec: ComposeMount): Parsed<Mount> {
  if (typeof spec === 'object') {
    const long = spec;
    if (long.type !== 'tmpfs' && !long.source)
      return { error: `a ${long.type} mount needs a source` };
    return checkMount({
      type: long.type,
      source: long.source ?? '',
      target: long.target,
      readOnly: long.read_only ?? false,
    });
  }
  const parts = String(spec).split(':');
  if (parts.length === 1) {
    return {
      error: `anonymous volume '${String(spec)}' would lose its data on every update; name it (NAME:${String(spec)})`,
    };
  }
  if (parts.length > 3) return { error: `'${String(spec)}' is not SOURCE:TARGET[:ro|rw]` };
  const [source = '', target = '', mode = 'rw'] = parts;
  if (mode !== 'ro' && mode !== 'rw')
    return { error: `unsupported mount mode '${mode}' (ro or rw)` };
  const type =
    source.startsWith('/') || source.startsWith('.') || source.startsWith('~') ? 'bind' : 'volume';
  return checkMount({ type, source, target, readOnly: mode === 'ro' });
}

function checkMount(mount: Mount): Parsed<Mount> {
  if (!mount.target.startsWith('/'))
    return { error: `mount target '${mount.target}' must be an absolute path` };
  if (mount.type === 'bind' && !mount.source.startsWith('/')) {
    return {
      error: `bind mount source '${mount.source}' must be an absolute host path (the repository is not on the device)`,
    };
  }
  return { ok: mount };
}

/** A Compose map-or-list of `KEY=VALUE` as a map; list entries without `=` map to null. */
export function keyValues(
  value: StringMapOrList | undefined,
  separator = '=',
): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (isStringList(value)) {
    for (const item of value) {
      const at = item.indexOf(separator);
      if (at < 0) out[item] = null;
      else out[item.slice(0, at)] = item.slice(at + separator.length);
    }
  } else if (value !== undefined) {
    for (const [key, raw] of Object.entries(value)) {
      out[key] = raw === null ? null : String(raw);
    }
  }
  return out;
}

/** Splits a command string the way a POSIX shell splits words (quotes and backslashes). */
export function splitWords(command: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < command.length; i += 1) {
    const char = command[i] ?? '';
    if (quote) {
      if (char === quote) quote = undefined;
      else if (char === '\\' && quote === '"' && i + 1 < command.length) word += command[++i];
      else word += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      inWord = true;
    } else if (char === '\\' && i + 1 < command.length) {
      word += command[++i];
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += char;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

export function healthcheck(
  spec: ComposeHealthcheck | undefined,
  duration: (field: string, v: string | undefined) => number | undefined,
): Healthcheck | undefined {
  if (spec === undefined) return undefined;
  if (spec.disable === true) return { test: ['NONE'] };
  if (spec.test === undefined) return undefined;
  const test = typeof spec.test === 'string' ? ['CMD-SHELL', spec.test] : [...spec.test];
  return {
    test,
    ...optional('intervalMs', duration('healthcheck', spec.interval)),
    ...optional('timeoutMs', duration('healthcheck', spec.timeout)),
    ...optional('retries', spec.retries),
    ...optional('startPeriodMs', duration('healthcheck', spec.start_period)),
  };
}

export function ulimits(value: ComposeService['ulimits']): DesiredService['ulimits'] {
  const out: Record<string, { soft: number; hard: number }> = {};
  for (const [name, limit] of Object.entries(value ?? {})) {
    out[name] = typeof limit === 'number' ? { soft: limit, hard: limit } : limit;
  }
  return out;
}

export function logging(spec: ComposeLogging | undefined): DesiredService['logging'] {
  if (spec === undefined) return undefined;
  return {
    driver: spec.driver ?? 'json-file',
    options: Object.fromEntries(Object.entries(spec.options ?? {}).map(([k, v]) => [k, String(v)])),
  };
}

/** `{ key: value }` when value is defined, else `{}`: for spreading optional fields. */
export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function isStringList(value: StringMapOrList | undefined): value is readonly string[] {
  return Array.isArray(value);
}
