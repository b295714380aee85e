// A registry on loopback that misbehaves on purpose, in front of the real test registry: resets
// connections every N bytes of a blob, throttles, corrupts a blob, or demands bearer tokens
// (with its own token endpoint). Counts the blob bytes it serves and the Range requests it sees.
import {
  createServer,
  request,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { testEnv } from './test-env.js';

export interface ProxyBehaviour {
  /** Drop the connection (close it mid-response) after this many bytes of each blob response. */
  resetEvery?: number;
  bytesPerSecond?: number;
  /** Flip one byte in the middle of this blob. */
  corruptDigest?: string;
  /** Require `Authorization: Bearer` tokens, issued at /token for these credentials. */
  bearer?: { username: string; password: string };
}

export class RegistryProxy {
  readonly server: Server;
  blobBytes = 0;
  /** Every response byte it served: blobs, manifests, tags, errors. */
  wireBytes = 0;
  readonly rangeStarts: number[] = [];
  readonly tokensIssued: string[] = [];
  #port = 0;

  constructor(public behaviour: ProxyBehaviour = {}) {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://proxy');
      if (url.pathname === '/token') return this.#token(req.headers.authorization, url, res);
      if (this.behaviour.bearer && url.pathname.startsWith('/v2/')) {
        const auth = req.headers.authorization ?? '';
        if (!this.tokensIssued.some((t) => auth === `Bearer ${t}`)) {
          const scope = /^\/v2\/(.+)\/(manifests|blobs|tags)\//.exec(url.pathname)?.[1];
          res.writeHead(401, {
            'www-authenticate': `Bearer realm="http://127.0.0.1:${this.#port}/token",service="ferry-test"${scope ? `,scope="repository:${scope}:pull"` : ''}`,
            'docker-distribution-api-version': 'registry/2.0',
          });
          res.end();
          return;
        }
      }
      const [host, port] = testEnv.registry.split(':');
      const upstream = request(
        {
          host,
          port: Number(port),
          path: req.url,
          method: req.method,
          headers: { ...req.headers, host: testEnv.registry },
        },
        (answer) => {
          const isBlob = /\/blobs\/sha256:/.test(url.pathname) && req.method === 'GET';
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          if (!isBlob) {
            answer.on('data', (chunk: Buffer) => (this.wireBytes += chunk.length));
            return void answer.pipe(res);
          }
          const range = /^bytes=(\d+)-/.exec(String(req.headers.range ?? ''));
          if (range) this.rangeStarts.push(Number(range[1]));
          this.#serveBlob(url.pathname, answer, res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
  }

  #token(authorization: string | undefined, url: URL, res: ServerResponse): void {
    const creds = this.behaviour.bearer;
    const expected = creds
      ? `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`
      : '';
    if (!creds || authorization !== expected) {
      res.writeHead(401).end();
      return;
    }
    const token = `t-${this.tokensIssued.length}-${url.searchParams.get('scope') ?? ''}`;
    this.tokensIssued.push(token);
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ token, expires_in: 300 }));
  }

  #serveBlob(path: string, answer: IncomingMessage, res: ServerResponse): void {
    let sent = 0;
    const corrupt = this.behaviour.corruptDigest && path.endsWith(this.behaviour.corruptDigest);
    const started = Date.now();
    // A client that went away (killed) must not keep counting bytes nobody receives.
    res.on('close', () => answer.destroy());
    answer.on('data', (chunk: Buffer) => {
      if (res.destroyed) return;
      let data = chunk;
      if (corrupt && sent < 1000 && sent + data.length > 1000) {
        data = Buffer.from(data);
        data[1000 - sent] = (data[1000 - sent] ?? 0) ^ 0xff;
      }
      const limit = this.behaviour.resetEvery;
      if (limit !== undefined && sent + data.length >= limit) {
        const part = data.subarray(0, limit - sent);
        this.blobBytes += part.length;
        this.wireBytes += part.length;
        // Close after the bytes are flushed: the client gets them, then a premature end of body.
        res.write(part, () => res.socket?.destroySoon());
        answer.destroy();
        return;
      }
      sent += data.length;
      this.blobBytes += data.length;
      this.wireBytes += data.length;
      res.write(data);
      if (this.behaviour.bytesPerSecond) {
        const due = (sent / this.behaviour.bytesPerSecond) * 1000 - (Date.now() - started);
        if (due > 0) {
          answer.pause();
          setTimeout(() => answer.resume(), due);
        }
      }
    });
    answer.on('end', () => res.end());
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.#port = (this.server.address() as AddressInfo).port;
    return `127.0.0.1:${this.#port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
