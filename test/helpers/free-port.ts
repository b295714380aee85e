// A port nothing listens on now, for a server a test (or the demo) starts soon after. Test files
// run side by side, so ports derived from a process id collided between them. A port the kernel
// picks (listen on 0) comes from the ephemeral range, which outgoing connections draw from too:
// the demo publishes its dashboard minutes after choosing, and a connection had taken the port by
// then. So: a random port below the ephemeral range, checked free on every interface.
import { randomInt } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const FIRST = 20_000;
const RANGE_FILE = '/proc/sys/net/ipv4/ip_local_port_range';

/** Where the kernel's ephemeral ports begin (Linux default 32768). */
function ephemeralStart(): number {
  const range = existsSync(RANGE_FILE) ? readFileSync(RANGE_FILE, 'utf8') : '';
  const start = Number(range.trim().split(/\s+/)[0]);
  return Number.isInteger(start) && start > FIRST + 1000 ? start : 32_768;
}

const canListen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });

export async function freePort(): Promise<number> {
  const end = ephemeralStart();
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = randomInt(FIRST, end);
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port between ${FIRST} and ${end}`);
}
