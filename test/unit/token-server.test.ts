// The HTTP server both programs expose: loopback unless a token guards it, and then every request
// needs the token.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTokenServer } from '#kernel/http/token-server.js';
import { FerryError } from '#kernel/errors.js';

const settings = { listen: 'api.listen', tokenFile: 'api.tokenFile' };
const routes = (route: string) =>
  route === 'GET /hello' ? { status: 200, json: { hello: 'world' } } : undefined;

describe('startTokenServer', () => {
  it('refuses an address that is not loopback when no token guards it', async () => {
    await assert.rejects(
      startTokenServer({ listen: '0.0.0.0:0', token: undefined, settings, routes }),
      (error: unknown) =>
        error instanceof FerryError &&
        error.code === 'FERRY_CONFIG' &&
        /api\.listen 0\.0\.0\.0:0 is not loopback: set api\.tokenFile/.test(error.message),
    );
  });

  it('says which setting names an address another process holds', async () => {
    const first = await startTokenServer({
      listen: '127.0.0.1:0',
      token: undefined,
      settings,
      routes,
    });
    try {
      await assert.rejects(
        startTokenServer({ listen: `127.0.0.1:${first.port}`, token: undefined, settings, routes }),
        (error: unknown) =>
          error instanceof FerryError &&
          error.code === 'FERRY_LISTEN' &&
          new RegExp(`^api\\.listen 127\\.0\\.0\\.1:${first.port}: the address is in use`).test(
            error.message,
          ),
      );
    } finally {
      await first.stop();
    }
  });

  it('answers routes on loopback, and 404 for the rest', async () => {
    const server = await startTokenServer({
      listen: '127.0.0.1:0',
      token: undefined,
      settings,
      routes,
    });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const hello = await fetch(`${base}/hello?x=1`);
      assert.equal(hello.status, 200);
      assert.deepEqual(await hello.json(), { hello: 'world' });
      assert.equal((await fetch(`${base}/nope`)).status, 404);
    } finally {
      await server.stop();
    }
  });

  it('with a token, refuses a missing, wrong or longer token and accepts the right one', async () => {
    const server = await startTokenServer({
      listen: '127.0.0.1:0',
      token: 's3cret',
      settings,
      routes,
    });
    try {
      const get = (authorization?: string) =>
        fetch(`http://127.0.0.1:${server.port}/hello`, {
          headers: authorization ? { authorization } : {},
        }).then((r) => r.status);
      assert.equal(await get(), 401);
      assert.equal(await get('Bearer s3cres'), 401);
      assert.equal(await get('Bearer s3cret!'), 401);
      assert.equal(await get('Bearer s3cret'), 200);
    } finally {
      await server.stop();
    }
  });

  it('answers an open route (a liveness probe) without the token, and nothing else', async () => {
    const server = await startTokenServer({
      listen: '127.0.0.1:0',
      token: 's3cret',
      settings,
      routes,
      openRoutes: ['GET /hello'],
    });
    try {
      const status = (path: string, method = 'GET') =>
        fetch(`http://127.0.0.1:${server.port}${path}`, { method }).then((r) => r.status);
      assert.equal(await status('/hello'), 200);
      assert.equal(await status('/hello', 'POST'), 401);
      assert.equal(await status('/other'), 401);
    } finally {
      await server.stop();
    }
  });
});
