// A small registry on loopback, inside `ferry build`, that the local engine pushes built images
// to. It is how the builder reads what a build made without `docker save`: a save exports every
// layer of the image (1.5 s for a 150 MiB image, on every build), while a push sends only the
// layers this registry does not have yet, compressed by the engine, which remembers what it
// pushed here. Blobs live in the build cache (`stage/blobs`), so they outlast the process; the
// port is kept there too, because the engine's memory of what it pushed is per host:port.
// Written here rather than taken from a library: it needs only the push half of the OCI
// distribution API (no auth, no deletes, manifests held in memory), and no npm registry
// implementation is small, maintained and embeddable.
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { sweepScratch } from '../pipeline/build-cache.js';

const MAX_MANIFEST_BYTES = 4 << 20;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

interface Upload {
  readonly file: string;
  readonly out: WriteStream;
  readonly hash: Hash;
  size: number;
}

export class StageRegistry {
  readonly #blobs: string;
  readonly #uploads = new Map<string, Upload>();
  readonly #manifests = new Map<string, Buffer>();
  #server: Server | undefined;
  #host = '';

  private constructor(readonly dir: string) {
    this.#blobs = join(dir, 'blobs');
  }

  /** Starts on the port used last time (the engine's memory of pushed blobs is per port). */
  static async start(dir: string): Promise<StageRegistry> {
    const stage = new StageRegistry(dir);
    await mkdir(stage.#blobs, { recursive: true });
    await sweepScratch(stage.#blobs);
    const portFile = join(dir, 'port');
    const saved = Number(await readFile(portFile, 'utf8').catch(() => '0'));
    const server = createServer((req, res) => {
      stage.#handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
    const listen = (port: number) =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
    await listen(saved).catch(() => listen(0));
    const port = (server.address() as AddressInfo).port;
    if (port !== saved) await writeFile(portFile, String(port));
    stage.#server = server;
    stage.#host = `127.0.0.1:${port}`;
    return stage;
  }

  /** `127.0.0.1:<port>`: the registry host to tag images with. */
  get host(): string {
    return this.#host;
  }

  /** Where a pushed blob is kept. */
  blobFile(digest: string): string {
    return join(this.#blobs, digest.replace(/^sha256:/, ''));
  }

  /** The manifest last pushed for `repository:reference`. */
  manifest(repository: string, reference: string): Buffer | undefined {
    return this.#manifests.get(`${repository}:${reference}`);
  }

  async stop(): Promise<void> {
    for (const upload of this.#uploads.values()) upload.out.destroy();
    this.#server?.closeAllConnections();
    await new Promise((resolve) => this.#server?.close(resolve) ?? resolve(undefined));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stage');
    res.setHeader('docker-distribution-api-version', 'registry/2.0');
    if (url.pathname === '/v2/' || url.pathname === '/v2') return void res.end('{}');
    const match = /^\/v2\/(.+)\/(blobs\/uploads|blobs|manifests)\/?(.*)$/.exec(url.pathname);
    if (!match) return void res.writeHead(404).end();
    const [, name = '', kind, rest = ''] = match;
    if (kind === 'manifests') return this.#manifest(req, res, name, rest);
    if (kind === 'blobs') return this.#blob(req, res, rest);
    return this.#upload(req, res, url, name, rest);
  }

  async #blob(req: IncomingMessage, res: ServerResponse, digest: string): Promise<void> {
    const found = DIGEST.test(digest)
      ? await stat(this.blobFile(digest)).catch(() => undefined)
      : undefined;
    if (!found) return void res.writeHead(404).end();
    res.writeHead(200, {
      'content-length': found.size,
      'content-type': 'application/octet-stream',
      'docker-content-digest': digest,
    });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(this.blobFile(digest)).pipe(res);
  }

  async #upload(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    name: string,
    id: string,
  ): Promise<void> {
    if (req.method === 'POST') {
      const mount = url.searchParams.get('mount') ?? '';
      if (DIGEST.test(mount) && (await stat(this.blobFile(mount)).catch(() => undefined))) {
        res.writeHead(201, {
          location: `/v2/${name}/blobs/${mount}`,
          'docker-content-digest': mount,
        });
        return void res.end();
      }
      const uuid = randomUUID();
      const file = join(this.#blobs, `.upload-${uuid}`);
      this.#uploads.set(uuid, {
        file,
        out: createWriteStream(file),
        hash: createHash('sha256'),
        size: 0,
      });
      return this.#accepted(res, name, uuid, 0);
    }
    const upload = this.#uploads.get(id);
    if (!upload) return void res.writeHead(404).end();
    if (req.method === 'DELETE') {
      this.#uploads.delete(id);
      upload.out.destroy();
      await rm(upload.file, { force: true });
      return void res.writeHead(204).end();
    }
    await this.#append(req, upload);
    if (req.method === 'PATCH') return this.#accepted(res, name, id, upload.size);
    if (req.method !== 'PUT') return this.#accepted(res, name, id, upload.size);
    // PUT: the upload is complete and must match the digest the client names.
    this.#uploads.delete(id);
    await new Promise((resolve) => upload.out.end(resolve));
    const digest = url.searchParams.get('digest') ?? '';
    if (!DIGEST.test(digest) || `sha256:${upload.hash.digest('hex')}` !== digest) {
      await rm(upload.file, { force: true });
      return void res.writeHead(400).end('{"errors":[{"code":"DIGEST_INVALID"}]}');
    }
    await rename(upload.file, this.blobFile(digest));
    res.writeHead(201, {
      location: `/v2/${name}/blobs/${digest}`,
      'docker-content-digest': digest,
    });
    res.end();
  }

  #accepted(res: ServerResponse, name: string, uuid: string, size: number): void {
    res.writeHead(202, {
      location: `/v2/${name}/blobs/uploads/${uuid}`,
      'docker-upload-uuid': uuid,
      range: `0-${Math.max(size - 1, 0)}`,
      'content-length': 0,
    });
    res.end();
  }

  async #append(req: IncomingMessage, upload: Upload): Promise<void> {
    for await (const chunk of req) {
      const bytes = chunk as Buffer;
      upload.hash.update(bytes);
      upload.size += bytes.length;
      if (!upload.out.write(bytes))
        await new Promise<void>((resolve) => upload.out.once('drain', () => resolve()));
    }
  }

  async #manifest(req: IncomingMessage, res: ServerResponse, name: string, reference: string) {
    if (req.method === 'PUT') {
      const parts: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > MAX_MANIFEST_BYTES) return void res.writeHead(413).end();
        parts.push(chunk as Buffer);
      }
      const bytes = Buffer.concat(parts);
      const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      this.#manifests.set(`${name}:${reference}`, bytes);
      this.#manifests.set(`${name}:${digest}`, bytes);
      res.writeHead(201, {
        location: `/v2/${name}/manifests/${digest}`,
        'docker-content-digest': digest,
      });
      return void res.end();
    }
    const bytes = this.#manifests.get(`${name}:${reference}`);
    if (!bytes) return void res.writeHead(404).end();
    res.writeHead(200, {
      'content-type':
        (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType ?? '',
      'content-length': bytes.length,
    });
    res.end(req.method === 'HEAD' ? undefined : bytes);
  }
}
