// What the normalisers of one service share: the stack it is in, and small helpers.
import type { ComposeConfig, ComposeSecret } from './compose-model.js';
import type { EnvFileEntry } from './fleet-model.js';
import type { StackFiles } from './stack-files.js';
import type { ProblemSink } from './problem-sink.js';

/** What a service may refer to elsewhere in its stack. */
export interface StackContext {
  readonly deployment: string;
  readonly tenant?: string;
  /** Stack folder relative to the fleet root, for resolving build contexts and shipped files. */
  readonly stackPath: string;
  readonly services: ReadonlySet<string>;
  readonly networks: ReadonlySet<string>;
  /** Networks with an ipam subnet: only those can give a service a fixed address. */
  readonly networksWithSubnet: ReadonlySet<string>;
  readonly volumes: ReadonlySet<string>;
  readonly configs: ReadonlySet<string>;
  readonly secrets: ReadonlySet<string>;
  readonly envFiles: ReadonlyMap<string, readonly EnvFileEntry[]>;
  /** Repository files the stack ships (null: not in the repository, a data folder). */
  readonly files: StackFiles;
  /** Top-level `configs:` and `secrets:` of the stack. */
  readonly configDefs: Readonly<Record<string, ComposeConfig>>;
  readonly secretDefs: Readonly<Record<string, ComposeSecret>>;
  /** `defaults.registry` of fleet.yaml: names the images of services that only build. */
  readonly registry?: string;
  /** The device's variables (`vars:` of its file), for pass-through environment entries. */
  readonly vars: (name: string) => string | undefined;
}

export type Path = (string | number)[];
export type At = (...rest: Path) => Path;

/** Array.isArray that keeps readonly arrays apart from the record of a union. */
export function isList<T>(value: readonly T[] | object): value is readonly T[] {
  return Array.isArray(value);
}

/** Parses each item of a list; an item that does not parse is a problem at its index. */
export function listOf<S, T>(
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
