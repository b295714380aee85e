// A registry that misbehaves on purpose, on loopback: it serves one well-formed image (a pinned
// manifest, a real config) and then breaks the rules the way an attacker or a broken proxy would.
import { createHash } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Misbehaviour =
  /** The layer's manifest size is 100 bytes; the blob streams zeros without end. */
  | 'endless-blob'
  /** The manifest (asked for by tag) is a body without end, with no Content-Length. */
  | 'endless-manifest'
  /** The manifest announces 1 GiB in Content-Length. */
  | 'huge-manifest'
  /** The config blob streams without end. */
  | 'endless-config'
  /** The manifest lists 10,000 layers. */
  | 'many-layers'
  /** The layer arrives at one byte per second. */
  | 'trickle';

const sha256 = (bytes: Buffer | string) =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export class HostileRegistry {
  #server: Server | undefined;
  /** Bytes written to clients, and blob requests received, for assertions. */
  bytesSent = 0;
  blobRequests = 0;
  readonly #config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [sha256('layer')] },
    }),
  );
  readonly #manifest: Buffer;

  constructor(readonly misbehaviour: Misbehaviour) {
    const layers = Array.from({ length: misbehaviour === 'many-layers' ? 10_000 : 1 }, (_, i) => ({
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      digest: sha256(`layer ${i}`),
      size: 100,
    }));
    this.#manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: sha256(this.#config),
          size: this.#config.length,
        },
        layers,
      }),
    );
  }

  /** `host:port/evil/app@sha256:...` (or `:latest` where the manifest itself misbehaves). */
  reference(host: string): string {
    return this.misbehaviour === 'endless-manifest' || this.misbehaviour === 'huge-manifest'
      ? `${host}/evil/app:latest`
      : `${host}/evil/app@${sha256(this.#manifest)}`;
  }

  get layerDigest(): string {
    return sha256('layer 0');
  }

  async start(): Promise<string> {
    this.#server = createServer((request, response) => {
      const url = request.url ?? '';
      if (url === '/v2/' || url === '/v2') return this.#send(response, 200, Buffer.from('{}'));
      if (url.includes('/manifests/')) return this.#manifestAnswer(response);
      if (url.includes('/blobs/')) {
        this.blobRequests += 1;
        if (url.endsWith(sha256(this.#config)))
          return this.misbehaviour === 'endless-config'
            ? this.#endless(response)
            : this.#send(response, 200, this.#config);
        if (this.misbehaviour === 'trickle') return this.#trickle(response);
        return this.#endless(response);
      }
      this.#send(response, 404, Buffer.from('{}'));
    });
    this.#server.on('connection', (socket) => socket.on('error', () => undefined));
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise((resolve) => this.#server?.close(resolve));
  }

  #manifestAnswer(response: ServerResponse): void {
    const type = 'application/vnd.oci.image.manifest.v1+json';
    if (this.misbehaviour === 'huge-manifest') {
      response.writeHead(200, { 'content-type': type, 'content-length': String(1 << 30) });
      return this.#stream(response);
    }
    if (this.misbehaviour === 'endless-manifest') {
      response.writeHead(200, { 'content-type': type });
      return this.#stream(response);
    }
    response.writeHead(200, { 'content-type': type, 'content-length': this.#manifest.length });
    response.end(this.#manifest);
  }

  #send(response: ServerResponse, status: number, body: Buffer): void {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(body);
    this.bytesSent += body.length;
  }

  #endless(response: ServerResponse): void {
    response.writeHead(200, { 'content-type': 'application/octet-stream' });
    this.#stream(response);
  }

  /** Zeros in 64 KiB chunks for as long as the client reads. */
  #stream(response: ServerResponse): void {
    const chunk = Buffer.alloc(64 * 1024);
    const write = () => {
      while (!response.destroyed) {
        this.bytesSent += chunk.length;
        if (!response.write(chunk)) return void response.once('drain', write);
      }
    };
    response.on('close', () => response.removeAllListeners('drain'));
    write();
  }

  #trickle(response: ServerResponse): void {
    response.writeHead(200, { 'content-type': 'application/octet-stream' });
    const timer = setInterval(() => {
      if (response.destroyed) return clearInterval(timer);
      this.bytesSent += 1;
      response.write(Buffer.alloc(1));
    }, 1000);
    response.on('close', () => clearInterval(timer));
  }
}
