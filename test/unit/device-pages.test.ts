// Pages of GET /api/v1/devices: every device exactly once across the pages, in id order by code
// unit, whatever order the database gave; a clear error for a bad limit or cursor.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { describe, it } from 'node:test';
import { MAX_PAGE, pageOf, paginate } from '../../builder/src/hub/device-pages.js';
import { hubDevices } from '../../builder/src/hub/hub-client.js';
import type { DeviceView } from '../../builder/src/hub/hub-views.js';

const device = (id: string) => ({ id }) as DeviceView;
const page = (query: string) => {
  const request = pageOf(new URLSearchParams(query));
  assert.equal(typeof request, 'object', String(request));
  return request as Exclude<typeof request, string>;
};

describe('device pages', () => {
  // PostgreSQL in a UTF-8 locale orders 'gw-10' before 'GW-2' and ignores the dash; pages must not.
  const ids = ['gw-2', 'GW-2', 'gw-10', 'gw-1', 'gw_1', 'gw-1.a', 'gw-3'];
  const fleet = ids.map(device);

  for (const limit of [1, 2, 3, 7, 8])
    it(`gives every device once in pages of ${limit}`, () => {
      const seen: string[] = [];
      let after: string | undefined;
      let pages = 0;
      do {
        const query = `limit=${limit}${after === undefined ? '' : `&after=${after}`}`;
        const answer = paginate(fleet, page(query));
        assert.ok(answer.devices.length <= limit);
        seen.push(...answer.devices.map((d) => d.id));
        after = answer.next;
        pages++;
      } while (after !== undefined && pages < 20);
      assert.deepEqual(seen, [...ids].sort());
      assert.equal(pages, Math.max(1, Math.ceil(ids.length / limit)));
    });

  it('gives the whole fleet, unpaged, without a limit', () => {
    assert.deepEqual(paginate(fleet, page('')), { devices: fleet });
  });

  it('starts after a device that left the fleet since the last page', () => {
    assert.deepEqual(
      paginate(fleet, page('limit=2&after=gw-15')).devices.map((d) => d.id),
      ['gw-2', 'gw-3'],
    );
  });

  it('says what is wrong with a page', () => {
    for (const bad of ['limit=0', `limit=${MAX_PAGE + 1}`, 'limit=ten', 'limit=1.5', 'limit=-3'])
      assert.match(String(pageOf(new URLSearchParams(bad))), /limit must be a whole number/, bad);
    assert.match(String(pageOf(new URLSearchParams('after=gw-1'))), /after needs limit/);
  });
});

/** A hub answering GET /api/v1/devices with `answer(query)`; its URL. */
async function stubHub(
  answer: (query: URLSearchParams) => unknown,
): Promise<{ url: string; close(): void }> {
  const server = createServer((request, response) => {
    const query = new URL(request.url ?? '/', 'http://hub').searchParams;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(answer(query)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}

describe('hubDevices', () => {
  it('follows the pages to the last, keeping the filters on each', async () => {
    const fleet = ['a', 'b', 'c', 'd', 'e'].map(device);
    const asked: string[] = [];
    const hub = await stubHub((query) => {
      asked.push(query.toString());
      const request = pageOf(query);
      assert.equal(typeof request, 'object');
      // A hub whose pages are smaller than the client asks for.
      return paginate(fleet, { ...(request as object), limit: 2 });
    });
    const devices = await hubDevices({ url: hub.url, token: 't' }, { deployment: 'iot' });
    hub.close();
    assert.deepEqual(
      devices.map((d) => d.id),
      ['a', 'b', 'c', 'd', 'e'],
    );
    assert.deepEqual(asked, [
      `deployment=iot&limit=${MAX_PAGE}`,
      `deployment=iot&limit=${MAX_PAGE}&after=b`,
      `deployment=iot&limit=${MAX_PAGE}&after=d`,
    ]);
  });

  it('stops reading an answer past 32 MiB', async () => {
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      let sent = 0;
      const more = () => {
        while (sent < 40 && response.write(chunk)) sent++;
        if (sent < 40) response.once('drain', () => (sent++, more()));
        else response.end();
      };
      more();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    await assert.rejects(
      hubDevices({ url, token: 't' }),
      /the answer is larger than 33554432 bytes/,
    );
    server.closeAllConnections();
    server.close();
  });

  it('stops at a hub whose pages do not advance', async () => {
    const hub = await stubHub(() => ({ devices: [device('a')], next: 'a' }));
    await assert.rejects(
      hubDevices({ url: hub.url, token: 't' }),
      /pages of devices do not advance/,
    );
    hub.close();
  });
});
