// A service's mounts: its volumes (named volumes, device paths, repository files, data folders)
// and its configs and secrets, as Compose mounts them without Swarm.
import { createHash } from 'node:crypto';
import { parseMount } from './compose-mounts.js';
import type { ComposeFileReference, ComposeMount, ComposeService } from './compose-model.js';
import type { Mount } from './desired-state.js';
import type { At, StackContext } from './normalize-context.js';
import type { ProblemSink } from './problem-sink.js';
import { repoJoin } from './repo-path.js';
import { scopedName } from './scoped-name.js';

export function mounts(
  raw: ComposeService,
  stack: StackContext,
  sink: ProblemSink,
  at: At,
): Mount[] {
  const parsed: Mount[] = [];
  for (const [index, spec] of (raw.volumes ?? []).entries()) {
    const result = parseMount(spec);
    if ('error' in result) {
      sink.add(at('volumes', index), result.error);
      continue;
    }
    const mount = result.ok;
    if (mount.type === 'volume' && !stack.volumes.has(mount.source))
      sink.add(
        at('volumes', index),
        `volume '${mount.source}' is not declared under top-level 'volumes:'`,
      );
    parsed.push(
      mount.type === 'bind' && mount.source.startsWith('.')
        ? fromRepository(mount, asksWritable(spec), stack, sink, at('volumes', index))
        : mount,
    );
  }
  return [
    ...parsed,
    ...fileMounts(raw.configs, 'configs', stack, sink, at),
    ...fileMounts(raw.secrets, 'secrets', stack, sink, at),
  ];
}

/**
 * `./conf:/etc/app`: a file or folder of the repository is shipped (read-only unless the mount
 * says `rw`); a path not in the repository is a data folder Ferry keeps for the deployment.
 */
function fromRepository(
  mount: Mount,
  writable: boolean,
  stack: StackContext,
  sink: ProblemSink,
  at: (string | number)[],
): Mount {
  const path = repoJoin(stack.stackPath, mount.source);
  const entry = path === undefined ? undefined : stack.files.get(path);
  if (path === undefined || entry === undefined) {
    // Outside the repository was reported where the stack was loaded; a variable was not.
    if (path !== undefined)
      sink.add(at, `'${mount.source}': a path in the repository cannot come from a variable`);
    return mount;
  }
  if (entry === null) {
    const deployment = scopedName(stack.tenant, stack.deployment, '').replace(/\.$/, '');
    return { ...mount, origin: { kind: 'data', path: `${deployment}/${path}` } };
  }
  return {
    ...mount,
    // The repository's content is the truth: a container that asks to write gets its own copy.
    readOnly: !writable,
    origin: { kind: 'repository', path, digest: entry.digest, entry: entry.kind },
  };
}

/** Whether a volume entry says `rw` (or `read_only: false`) in so many words. */
function asksWritable(spec: ComposeMount | undefined): boolean {
  if (spec === undefined) return false;
  if (typeof spec === 'string') return (spec.split(':')[2] ?? '').split(',').includes('rw');
  return spec.read_only === false;
}

/** `configs:` and `secrets:` of a service as files at their targets. */
function fileMounts(
  references: readonly ComposeFileReference[] | undefined,
  key: 'configs' | 'secrets',
  stack: StackContext,
  sink: ProblemSink,
  at: At,
): Mount[] {
  return (references ?? []).flatMap((reference, index) => {
    const spec = typeof reference === 'string' ? { source: reference } : reference;
    const defs = key === 'configs' ? stack.configDefs : stack.secretDefs;
    const def = defs[spec.source];
    if (!def) {
      sink.add(
        at(key, index),
        `${key.slice(0, -1)} '${spec.source}' is not declared under top-level '${key}:'`,
      );
      return [];
    }
    const target = targetOf(spec.target, spec.source, key);
    const file = {
      ...(spec.uid !== undefined ? { uid: String(spec.uid) } : {}),
      ...(spec.gid !== undefined ? { gid: String(spec.gid) } : {}),
      ...(spec.mode !== undefined ? { mode: Number.parseInt(String(spec.mode), 8) } : {}),
    };
    const base = {
      type: 'bind' as const,
      target,
      readOnly: true,
      createHostPath: false,
      ...(Object.keys(file).length > 0 ? { file } : {}),
    };
    const origin = fileOrigin(spec.source, def, key, stack, sink, [key, spec.source]);
    return origin ? [{ ...base, ...origin }] : [];
  });
}

/** Configs land at `/NAME` by default, secrets at `/run/secrets/NAME`; a relative secret target under it. */
function targetOf(target: string | undefined, name: string, key: 'configs' | 'secrets'): string {
  if (key === 'configs') return target ?? `/${name}`;
  if (target === undefined) return `/run/secrets/${name}`;
  return target.startsWith('/') ? target : `/run/secrets/${target}`;
}

function fileOrigin(
  name: string,
  def: { file?: string; content?: string; environment?: string },
  key: 'configs' | 'secrets',
  stack: StackContext,
  sink: ProblemSink,
  at: (string | number)[],
): Pick<Mount, 'source' | 'origin'> | undefined {
  if (def.file !== undefined && key === 'secrets') {
    // A secret stays off the repository: its file is one on the device.
    if (!def.file.startsWith('/')) {
      sink.add([...at, 'file'], `a secret file is a path on the device: write it absolute`);
      return undefined;
    }
    return { source: def.file };
  }
  if (def.file !== undefined) {
    const path = repoJoin(stack.stackPath, def.file);
    const entry = path === undefined ? undefined : stack.files.get(path);
    if (!entry || path === undefined) return undefined; // reported where the stack was loaded
    return {
      source: def.file,
      origin: { kind: 'repository', path, digest: entry.digest, entry: entry.kind },
    };
  }
  if (key === 'secrets' && def.environment !== undefined)
    return { source: '', origin: { kind: 'environment', name, variable: def.environment } };
  const content =
    def.content ?? (def.environment === undefined ? undefined : stack.vars(def.environment));
  if (content === undefined) {
    sink.add(
      at,
      def.environment !== undefined
        ? `config '${name}': the device has no variable ${def.environment}`
        : `config '${name}' needs file, content or environment`,
    );
    return undefined;
  }
  const digest = `sha256:${createHash('sha256').update(content).digest('hex')}`;
  return { source: '', origin: { kind: 'inline', name, digest, content } };
}
