// How a service's process runs: identity (hostname, user groups), terminal, init, namespaces
// shared with the host or another container, security options, runtime, annotations.
import { keyValues, optional } from './compose-fields.js';
import type { ComposeService } from './compose-model.js';
import type { DesiredService, Namespaces } from './desired-state.js';
import type { At, StackContext } from './normalize-context.js';
import type { ProblemSink } from './problem-sink.js';

type Process = Pick<
  DesiredService,
  | 'hostname'
  | 'domainname'
  | 'groupAdd'
  | 'init'
  | 'stdinOpen'
  | 'tty'
  | 'securityOpt'
  | 'runtime'
  | 'cgroupParent'
  | 'deviceCgroupRules'
  | 'annotations'
  | 'namespaces'
  | 'volumesFrom'
>;

export function processOptions(
  raw: ComposeService,
  stack: StackContext,
  sink: ProblemSink,
  at: At,
): Process {
  const namespaces: Namespaces = {
    ...optional('pid', shared(raw.pid ?? undefined, 'pid', stack, sink, at)),
    ...optional('ipc', shared(raw.ipc, 'ipc', stack, sink, at)),
    ...optional('uts', raw.uts),
    ...optional('userns', raw.userns_mode),
    ...optional('cgroup', raw.cgroup),
  };
  const annotations = keyValues(raw.annotations);
  return {
    ...optional('hostname', raw.hostname),
    ...optional('domainname', raw.domainname),
    ...optional('groupAdd', raw.group_add?.map(String)),
    ...optional('init', raw.init),
    ...optional('stdinOpen', raw.stdin_open),
    ...optional('tty', raw.tty),
    ...optional('securityOpt', raw.security_opt && [...raw.security_opt]),
    ...optional('runtime', raw.runtime),
    ...optional('cgroupParent', raw.cgroup_parent),
    ...optional('deviceCgroupRules', raw.device_cgroup_rules && [...raw.device_cgroup_rules]),
    ...optional(
      'annotations',
      raw.annotations === undefined
        ? undefined
        : Object.fromEntries(Object.entries(annotations).map(([k, v]) => [k, v ?? ''])),
    ),
    ...optional('namespaces', Object.keys(namespaces).length > 0 ? namespaces : undefined),
    ...optional('volumesFrom', volumesFrom(raw.volumes_from, stack, sink, at)),
  };
}

/** `service:NAME` must name a service of this stack (`container:` names one outside Ferry). */
function shared(
  mode: string | undefined,
  field: string,
  stack: StackContext,
  sink: ProblemSink,
  at: At,
): string | undefined {
  if (mode?.startsWith('service:') && !stack.services.has(mode.slice('service:'.length)))
    sink.add(at(field), `service '${mode.slice('service:'.length)}' is not in this stack`);
  return mode;
}

/** `NAME[:ro]` is a service of this stack, as Compose reads it; `container:NAME` one outside. */
function volumesFrom(
  entries: readonly string[] | undefined,
  stack: StackContext,
  sink: ProblemSink,
  at: At,
): string[] | undefined {
  return entries?.map((entry, index) => {
    if (entry.startsWith('container:')) return entry;
    const name = entry.replace(/^service:/, '').replace(/:(ro|rw)$/, '');
    if (!stack.services.has(name))
      sink.add(at('volumes_from', index), `service '${name}' is not in this stack`);
    return `service:${entry.replace(/^service:/, '')}`;
  });
}
