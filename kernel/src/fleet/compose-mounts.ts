// Compose volumes of a service, short and long syntax: "data:/var/lib/x", "/srv/x:/x:ro,z",
// "./conf:/etc/app:ro", { type: bind, source, target, bind: { propagation } }, tmpfs with a size.
import { parseByteSize } from '../duration.js';
import { optional } from './compose-fields.js';
import type { ComposeMount, ComposeMountLong } from './compose-model.js';
import type { Mount } from './desired-state.js';

type Parsed<T> = { ok: T } | { error: string };

/** Mode words of the short syntax: access, SELinux labels, no-copy and (ignored) consistency. */
const MODE_WORDS = new Set(['ro', 'rw', 'z', 'Z', 'nocopy', 'cached', 'delegated', 'consistent']);
const PROPAGATION = new Set(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave']);

export function parseMount(spec: ComposeMount): Parsed<Mount> {
  return typeof spec === 'object' ? longForm(spec) : shortForm(spec);
}

function shortForm(text: string): Parsed<Mount> {
  const parts = text.split(':');
  if (parts.length === 1)
    return {
      error: `anonymous volume '${text}' would lose its data on every update; name it (NAME:${text})`,
    };
  if (parts.length > 3) return { error: `'${text}' is not SOURCE:TARGET[:MODE]` };
  const [source = '', target = '', mode = 'rw'] = parts;
  const words = mode.split(',');
  const unknown = words.find((w) => !MODE_WORDS.has(w) && !PROPAGATION.has(w));
  if (unknown !== undefined)
    return { error: `unknown mount option '${unknown}' (ro, rw, z, Z, nocopy, or a propagation)` };
  const type = isPath(source) ? 'bind' : 'volume';
  const selinux: Mount['selinux'] = words.includes('Z')
    ? 'Z'
    : words.includes('z')
      ? 'z'
      : undefined;
  const propagation = words.find((w) => PROPAGATION.has(w)) as Mount['propagation'];
  return checkMount({
    type,
    source,
    target,
    readOnly: words.includes('ro'),
    // Compose's short syntax creates a missing bind source as a folder (`docker run -v` does):
    // that is what no `createHostPath` means.
    ...optional('selinux', selinux),
    ...optional('propagation', propagation),
    ...(type === 'volume' && words.includes('nocopy') ? { noCopy: true } : {}),
  });
}

function longForm(spec: ComposeMountLong): Parsed<Mount> {
  if (spec.type !== 'tmpfs' && !spec.source)
    return { error: `a ${spec.type} mount needs a source` };
  const size = spec.tmpfs?.size === undefined ? undefined : parseByteSize(spec.tmpfs.size);
  if (spec.tmpfs?.size !== undefined && size === undefined)
    return { error: `tmpfs size '${spec.tmpfs.size}' is not a size (e.g. 64m)` };
  const mode = spec.tmpfs?.mode === undefined ? undefined : octal(spec.tmpfs.mode);
  return checkMount({
    type: spec.type,
    source: spec.source ?? '',
    target: spec.target,
    readOnly: spec.read_only ?? false,
    // The long syntax creates nothing unless asked.
    ...(spec.type === 'bind' ? { createHostPath: spec.bind?.create_host_path ?? false } : {}),
    ...optional('propagation', spec.bind?.propagation),
    ...optional('selinux', spec.bind?.selinux),
    ...optional('noCopy', spec.volume?.nocopy),
    ...optional('subpath', spec.volume?.subpath),
    ...optional('tmpfsSizeBytes', size),
    ...optional('tmpfsMode', mode),
  });
}

/** `1777` or `"1777"` as written in Compose (octal digits) -> the number. */
function octal(mode: string | number): number {
  return typeof mode === 'number' ? parseInt(String(mode), 8) : parseInt(mode, 8);
}

export function isPath(source: string): boolean {
  return source.startsWith('/') || source.startsWith('.') || source.startsWith('~');
}

function checkMount(mount: Mount): Parsed<Mount> {
  if (!mount.target.startsWith('/'))
    return { error: `mount target '${mount.target}' must be an absolute path` };
  if (mount.type === 'bind' && mount.source.startsWith('~'))
    return {
      error: `bind mount source '${mount.source}': '~' means a home folder on someone's machine; write the absolute path on the device`,
    };
  return { ok: mount };
}
