// A TCP proxy on loopback that counts every byte both ways: what a gateway's reports cost on the
// wire, HTTP headers included (a count of JSON bodies alone would flatter them).
import { connect, createServer } from 'node:net';

export interface CountingProxy {
  readonly url: string;
  reset(): void;
  /** Bytes sent and received through the proxy since the last reset. */
  total(): number;
  close(): Promise<void>;
}

export async function startCountingProxy(targetPort: string): Promise<CountingProxy> {
  let bytes = 0;
  const server = createServer((client) => {
    const upstream = connect(Number(targetPort), '127.0.0.1');
    client.on('data', (chunk: Buffer) => (bytes += chunk.length));
    upstream.on('data', (chunk: Buffer) => (bytes += chunk.length));
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    reset: () => void (bytes = 0),
    total: () => bytes,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.unref();
      }),
  };
}
