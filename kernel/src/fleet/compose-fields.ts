// Small Compose value readers: key=value lists, shell words, healthcheck, ulimits, logging.
import type {
  ComposeEnvFile,
  ComposeHealthcheck,
  ComposeLogging,
  ComposeService,
  StringMapOrList,
} from './compose-model.js';
import type { DesiredService, Healthcheck } from './desired-state.js';

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
    ...optional('startIntervalMs', duration('healthcheck', spec.start_interval)),
  };
}

export function ulimits(value: ComposeService['ulimits']): DesiredService['ulimits'] {
  const out: Record<string, { soft: number; hard: number }> = {};
  for (const [name, limit] of Object.entries(value ?? {})) {
    out[name] =
      typeof limit === 'object'
        ? { soft: Number(limit.soft), hard: Number(limit.hard) }
        : { soft: Number(limit), hard: Number(limit) };
  }
  return out;
}

export function logging(spec: ComposeLogging | undefined): DesiredService['logging'] {
  if (spec === undefined) return undefined;
  return {
    driver: spec.driver ?? 'json-file',
    options: Object.fromEntries(
      Object.entries(spec.options ?? {})
        .filter(([, v]) => v !== null)
        .map(([k, v]) => [k, String(v)]),
    ),
  };
}

/** `{ key: value }` when value is defined, else `{}`: for spreading optional fields. */
export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function isStringList(value: StringMapOrList | undefined): value is readonly string[] {
  return Array.isArray(value);
}

/** The paths of `env_file`, whether each must exist, and where each was written. */
export function envFilesOf(
  value: ComposeEnvFile | undefined,
): { path: string; required: boolean; at: (string | number)[] }[] {
  if (value === undefined) return [];
  if (typeof value === 'string') return [{ path: value, required: true, at: ['env_file'] }];
  return value.map((entry, index) =>
    typeof entry === 'string'
      ? { path: entry, required: true, at: ['env_file', index] }
      : { path: entry.path, required: entry.required ?? true, at: ['env_file', index] },
  );
}
