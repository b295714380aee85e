// Compose ports, short and long syntax, ranges included: "8080:80", "127.0.0.1:53:53/udp",
// "5683-5688:5683-5688/udp", "9000-9010:80", "[::1]:8080:80", 80, or { target, published, ... }.
import type { ComposePort } from './compose-model.js';
import type { PortMapping } from './desired-state.js';

type Parsed<T> = { ok: T } | { error: string };

const SHORT =
  /^(?:(?:(\[[0-9a-fA-F:.]+\]|[0-9.]+|[0-9a-fA-F:]+::?[0-9a-fA-F:]*)?:)?(\d+)(?:-(\d+))?:)?(\d+)(?:-(\d+))?(?:\/(tcp|udp))?$/;

/** One Compose port entry as the mappings it stands for (a range of targets is one per port). */
export function parsePorts(spec: ComposePort): Parsed<PortMapping[]> {
  if (typeof spec === 'number') return checked([{ target: spec, protocol: 'tcp' }], String(spec));
  if (typeof spec === 'object') return longForm(spec);
  const text = spec.trim();
  const match = SHORT.exec(text);
  if (!match)
    return { error: `'${text}' is not a port mapping ([HOST_IP:][HOST_PORT:]PORT[/udp])` };
  const [, hostIp, from, fromEnd, target, targetEnd, protocol] = match;
  const base = {
    protocol: protocol === 'udp' ? ('udp' as const) : ('tcp' as const),
    ...(hostIp === undefined ? {} : { hostIp: hostIp.replace(/^\[|\]$/g, '') }),
  };
  const targets = range(Number(target), targetEnd === undefined ? undefined : Number(targetEnd));
  const published =
    from === undefined ? undefined : range(Number(from), fromEnd && Number(fromEnd));
  if (!targets || (from !== undefined && !published))
    return { error: `'${text}': a range must go up (LOW-HIGH)` };
  if (published && published.length !== targets.length) {
    // "9000-9010:80": the engine picks a free host port of the range for the one target.
    if (targets.length !== 1)
      return { error: `'${text}': the host and container ranges differ in length` };
    return checked(
      [{ ...base, target: targets[0]!, published: published[0]!, publishedTo: published.at(-1)! }],
      text,
    );
  }
  return checked(
    targets.map((port, i) => ({
      ...base,
      target: port,
      ...(published ? { published: published[i]! } : {}),
    })),
    text,
  );
}

function longForm(spec: Exclude<ComposePort, string | number>): Parsed<PortMapping[]> {
  const published = spec.published === undefined ? undefined : String(spec.published);
  if (published?.includes('-') || String(spec.target).includes('-')) {
    const short = `${spec.host_ip ? `${spec.host_ip}:` : ''}${published ? `${published}:` : ''}${spec.target}/${spec.protocol ?? 'tcp'}`;
    return parsePorts(short);
  }
  return checked(
    [
      {
        target: Number(spec.target),
        protocol: spec.protocol ?? 'tcp',
        ...(published === undefined || published === '' ? {} : { published: Number(published) }),
        ...(spec.host_ip === undefined ? {} : { hostIp: spec.host_ip }),
      },
    ],
    JSON.stringify(spec),
  );
}

function range(low: number, high?: number | '' | undefined): number[] | undefined {
  if (high === undefined || high === '') return [low];
  if (high < low) return undefined;
  return Array.from({ length: high - low + 1 }, (_, i) => low + i);
}

function checked(mappings: PortMapping[], text: string): Parsed<PortMapping[]> {
  const valid = (port: number | undefined) =>
    port === undefined || (Number.isInteger(port) && port >= 1 && port <= 65535);
  if (mappings.every((m) => valid(m.target) && valid(m.published) && valid(m.publishedTo)))
    return { ok: mappings };
  return { error: `'${text}' has a port outside 1-65535` };
}
