// A loopback port nothing listens on now, picked by the kernel: test files run side by side, and
// ports derived from a process id collided between them (a ferryd that cannot bind its API port
// never reports, and its test waits out its deadline).
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== 'object' || !address) throw new Error('no free port');
  return address.port;
}
