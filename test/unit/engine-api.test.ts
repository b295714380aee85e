// ferryd's Engine API client against a stand-in engine on a unix socket: what it asks, how it
// reads errors, that a silent engine is given up on, and that a no-op pass lists Ferry's objects
// once (the snapshot is reused until Ferry changes something).
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it, mock } from 'node:test';
import { DockerEngine } from '../../daemon/src/apply/docker-engine.js';
import { EngineApi, EngineApiError, isStatus } from '../../daemon/src/apply/engine-api.js';
import { EngineEvents, type ChangeFeed } from '../../daemon/src/apply/engine-events.js';
import { DockerImages, familiarTag } from '../../daemon/src/fetch/docker-images.js';
import { FerryError } from '../../kernel/src/errors.js';

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

let dir: string;
let server: Server;
let socket: string;
let handler: Handler;
const asked: string[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-engine-api-'));
  socket = join(dir, 'docker.sock');
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      asked.push(`${request.method} ${request.url}`);
      handler(request, body, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

function answer(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json' });
  response.end(typeof body === 'string' ? body : JSON.stringify(body));
}

describe('EngineApi', () => {
  it('encodes the query and parses the JSON answer', async () => {
    asked.length = 0;
    handler = (_request, _body, response) => answer(response, 200, [{ Id: 'a' }]);
    const api = new EngineApi(socket);
    const filters = JSON.stringify({ label: ['ferry.managed=true'] });
    const list = await api.json<{ Id: string }[]>({
      path: '/containers/json',
      query: { all: true, filters, skipped: undefined },
    });
    assert.deepEqual(list, [{ Id: 'a' }]);
    assert.equal(asked[0], `GET /containers/json?all=true&filters=${encodeURIComponent(filters)}`);
  });

  it("rejects an error status with the engine's own message and its status code", async () => {
    handler = (_request, _body, response) =>
      answer(response, 404, { message: 'No such container: gw.iot.web' });
    const error = await new EngineApi(socket)
      .json({ path: '/containers/gw.iot.web/json' })
      .catch((e: unknown) => e);
    assert.ok(error instanceof EngineApiError);
    assert.equal(error.statusCode, 404);
    assert.equal(error.message, 'No such container: gw.iot.web');
    assert.ok(isStatus(error, 304, 404));
    assert.ok(!isStatus(error, 409));
    assert.ok(!isStatus(new Error('404'), 404), 'only answers of the engine count');
  });

  it('gives up on an engine that stays silent', async () => {
    handler = () => undefined; // never answers
    const started = Date.now();
    await assert.rejects(
      new EngineApi(socket).json({ path: '/info', idleMs: 200 }),
      /did not answer \/info in time/,
    );
    assert.ok(Date.now() - started < 5_000);
  });

  it('sends JSON bodies with their length', async () => {
    let seen = '';
    handler = (request, body, response) => {
      seen = `${request.headers['content-type']} ${request.headers['content-length']} ${body}`;
      answer(response, 201, { Id: 'c1' });
    };
    await new EngineApi(socket).json({ method: 'POST', path: '/volumes/create', body: { a: 1 } });
    assert.equal(seen, 'application/json 7 {"a":1}');
  });
});

describe('DockerEngine snapshots', () => {
  it('lists once per pass until Ferry changes something, then lists again', async () => {
    handler = (request, _body, response) => {
      if (request.url?.startsWith('/volumes')) return answer(response, 200, { Volumes: [] });
      if (request.method === 'POST') return answer(response, 204, '');
      answer(response, 200, []);
    };
    const engine = new DockerEngine(new EngineApi(socket));
    asked.length = 0;
    await engine.snapshot('gw');
    assert.equal(asked.length, 3, 'containers, networks and volumes');
    await engine.snapshot('gw', { reuse: true });
    await engine.snapshot('gw', { reuse: true });
    assert.equal(asked.length, 3, 'nothing changed: the snapshot is reused');
    await engine.snapshot('other', { reuse: true });
    assert.equal(asked.length, 6, 'another device is another snapshot');
    await engine.start('gw.iot.web');
    await engine.snapshot('other', { reuse: true });
    assert.equal(asked.length, 10, 'a start drops the snapshot');
    await engine.snapshot('other');
    assert.equal(asked.length, 13, 'without reuse it always lists');
  });

  it('does not reuse a failed snapshot', async () => {
    handler = (_request, _body, response) => answer(response, 500, { message: 'engine busy' });
    const engine = new DockerEngine(new EngineApi(socket));
    await assert.rejects(engine.snapshot('gw'), /engine busy/);
    handler = (request, _body, response) =>
      answer(response, 200, request.url?.startsWith('/volumes') ? { Volumes: [] } : []);
    assert.deepEqual(await engine.snapshot('gw', { reuse: true }), {
      containers: [],
      networks: [],
      volumes: [],
    });
  });
});

describe('DockerEngine snapshots, with the engine watched', () => {
  it('asks nothing for minutes while the events say nothing changed, then asks again', async () => {
    handler = (request, _body, response) =>
      answer(response, 200, request.url?.startsWith('/volumes') ? { Volumes: [] } : []);
    let mark: number | undefined = 1;
    const feed: ChangeFeed = { mark: () => mark };
    const engine = new DockerEngine(new EngineApi(socket), feed);
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    try {
      asked.length = 0;
      await engine.snapshot('gw');
      mock.timers.tick(60_000);
      await engine.snapshot('gw', { reuse: true });
      assert.equal(asked.length, 3, 'a minute later, no event: nothing asked');
      mark = 2; // an event
      await engine.snapshot('gw', { reuse: true });
      assert.equal(asked.length, 6, 'an event: asked again');
      mark = undefined; // the stream broke
      mock.timers.tick(60_000);
      await engine.snapshot('gw', { reuse: true });
      assert.equal(asked.length, 9, 'not watching: asked again');
      mark = 3;
      await engine.snapshot('gw');
      mock.timers.tick(6 * 60_000);
      await engine.snapshot('gw', { reuse: true });
      assert.equal(asked.length, 15, 'past five minutes: asked whatever the events say');
      mark = 4;
      await engine.snapshot('gw', { reuse: true });
      assert.equal(asked.length, 18, 'an event a moment after a listing: asked again');
    } finally {
      mock.timers.reset();
    }
  });
});

describe('EngineEvents', () => {
  it('changes its mark with each event, and has none while the stream is down', async () => {
    let stream: ServerResponse | undefined;
    handler = (request, _body, response) => {
      assert.match(request.url ?? '', /^\/events\?filters=/);
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.flushHeaders();
      stream = response;
    };
    const events = new EngineEvents(new EngineApi(socket));
    assert.equal(events.mark(), undefined, 'not started');
    events.start();
    try {
      const opened = await until(() => events.mark());
      stream?.write('{"Type":"container","Action":"die"');
      await pause();
      assert.equal(events.mark(), opened, 'half an event is no event yet');
      stream?.write('}\n');
      const changed = await until(() => (events.mark() !== opened ? events.mark() : undefined));
      assert.ok(changed !== undefined && changed > opened);
      stream?.end();
      await until(() => (events.mark() === undefined ? true : undefined));
      const again = await until(() => events.mark(), 5_000);
      assert.ok(again > changed, 'reconnected: whatever happened meanwhile counts as a change');
      stream?.write('x'.repeat(70 * 1024));
      await until(() => (events.mark() === undefined ? true : undefined));
    } finally {
      events.close();
      stream?.destroy();
    }
  });
});

describe('DockerImages', () => {
  it('asks for the images of a pass by their tags, in the form the engine matches', async () => {
    asked.length = 0;
    handler = (_request, _body, response) => answer(response, 200, [{ Id: 'sha256:1' }]);
    const images = new DockerImages(new EngineApi(socket));
    const ids = await images.taggedIds([
      'docker.io/library/nginx:ferry-1',
      '127.0.0.1:5101/web:ferry-2',
    ]);
    assert.deepEqual([...ids], ['sha256:1']);
    const filters = JSON.stringify({ reference: ['nginx:ferry-1', '127.0.0.1:5101/web:ferry-2'] });
    assert.deepEqual(asked, [`GET /images/json?filters=${encodeURIComponent(filters)}`]);
    assert.deepEqual([...(await images.taggedIds([]))], []);
    assert.equal(asked.length, 1, 'no tags, no question');
  });

  it("refuses a load the engine reports as failed, with the engine's reason", async () => {
    handler = (_request, _body, response) =>
      answer(response, 200, '{"errorDetail":{"message":"no space left on device"},"error":"x"}\n');
    const images = new DockerImages(new EngineApi(socket));
    const error = await images.load(Readable.from([Buffer.from('tar')])).catch((e: unknown) => e);
    assert.ok(error instanceof FerryError);
    assert.equal(error.code, 'FERRY_ENGINE');
    assert.match(error.message, /no space left on device/);
  });

  it('names Docker Hub images as the engine shows them', () => {
    assert.equal(familiarTag('docker.io/library/nginx:ferry-1'), 'nginx:ferry-1');
    assert.equal(familiarTag('docker.io/acme/app:ferry-1'), 'acme/app:ferry-1');
    assert.equal(familiarTag('docker.io/library/a/b:ferry-1'), 'library/a/b:ferry-1');
    assert.equal(familiarTag('ghcr.io/library/x:ferry-1'), 'ghcr.io/library/x:ferry-1');
    assert.equal(familiarTag('127.0.0.1:5101/web:ferry-2'), '127.0.0.1:5101/web:ferry-2');
  });
});

/** Waits until `value` is defined (polling), and returns it. */
async function until<T>(value: () => T | undefined, ms = 2_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = value();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('timed out');
    await pause();
  }
}

function pause(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 20));
}
