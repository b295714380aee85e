// The fleet hub against real gateways: ferryd reports to `ferry hub` (SQLite), operators read the
// fleet; reports wait on the gateway while the hub is away; a device writes only its own record.
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  cleanDevice,
  ferrydConfig,
  ferrydOnce,
  oneStackFleet,
  pushWebAppImage,
  uniqueDevice,
  type FerrydSetup,
} from '../helpers/ferryd-harness.js';
import type { FleetRepo } from '../helpers/fleet-repo.js';
import { runCli } from '../helpers/run-cli.js';
import {
  enroll,
  hubGet,
  hubSetup,
  HubProcess,
  type HubDatabase,
  type HubSetup,
} from '../helpers/hub-process.js';

interface DevicesView {
  devices: {
    id: string;
    online: boolean;
    lastSeen: string | null;
    labels: Record<string, string>;
    deployments: { name: string; appliedRevision: string | null; status: string }[];
  }[];
}

function hubSuite(database: HubDatabase): void {
  const device = uniqueDevice(`hub${database}`);
  let hub: HubSetup;
  let running: HubProcess | undefined;
  let repo: FleetRepo;
  let setup: FerrydSetup;
  let token: string;

  describe(`the fleet hub on ${database}`, () => {
    before(async () => {
      const image = await pushWebAppImage();
      hub = await hubSetup(database);
      running = await HubProcess.start(hub);
      token = await enroll(hub, device);
      ({ repo } = await oneStackFleet(`hub-${database}`, device, {
        'stacks/iot/compose.yaml': `services:\n  web:\n    image: ${image}\n`,
      }));
      const tokenFile = join(hub.dir, `${device}.token`);
      await writeFile(tokenFile, `${token}\n`);
      setup = await ferrydConfig(
        device,
        repo.url,
        `report: { url: "${hub.url}", tokenFile: ${tokenFile}, interval: 1s }\n`,
      );
    });

    after(async () => {
      await running?.stop();
      await cleanDevice(device);
      await repo?.remove();
    });

    const view = async () =>
      (await hubGet<DevicesView>(hub, '/api/v1/devices')).body.devices.find((d) => d.id === device);

    it('shows a gateway online with the revision each deployment runs', async () => {
      const commit = await repo.commit('iot v1');
      assert.equal((await ferrydOnce(setup)).report.converged, true);
      const seen = await view();
      assert.equal(seen?.online, true);
      assert.deepEqual(seen?.deployments, [
        {
          name: 'iot',
          appliedRevision: commit,
          desiredRevision: commit,
          status: 'converged',
          services: [{ name: 'web', state: 'running' }],
        },
      ]);
    });

    it('keeps reports on the gateway while the hub is away, and delivers them in order', async () => {
      await running?.stop();
      const compose = join(repo.workTree, 'stacks/iot/compose.yaml');
      await writeFile(
        compose,
        (await readFile(compose, 'utf8')).replace('web:', 'web:\n    environment: { V: "2" }'),
      );
      const second = await repo.commit('iot v2');
      assert.equal((await ferrydOnce(setup)).report.converged, true);
      assert.equal(
        (await readdir(join(setup.stateDir, 'reports'))).filter((n) => n.endsWith('.json')).length,
        1,
      );
      running = await HubProcess.start(hub);
      // Nothing new happened on the gateway; the next pass delivers what waited.
      await ferrydOnce(setup);
      assert.equal((await view())?.deployments[0]?.appliedRevision, second);
      assert.deepEqual(
        (await readdir(join(setup.stateDir, 'reports'))).filter((n) => n.endsWith('.json')),
        [],
      );
    });

    it('keeps what it acknowledged, and who signed in, across a restart of the hub', async () => {
      const before = await view();
      const login = await fetch(`${hub.url}/login`, {
        method: 'POST',
        body: new URLSearchParams({ token: hub.operatorToken }),
        redirect: 'manual',
      });
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      assert.match(cookie, /^ferry_hub_session=[\w-]{40,}$/);
      const page = (headers: Record<string, string> = { cookie }) =>
        fetch(`${hub.url}/`, { headers, redirect: 'manual' }).then((r) => r.status);
      assert.equal(await page(), 200);
      await running?.stop();
      running = await HubProcess.start(hub);
      assert.deepEqual((await view())?.deployments, before?.deployments);
      assert.equal(await page(), 200, 'still signed in');
      assert.equal(await page({ cookie: `${cookie}x` }), 303, 'a forged cookie signs nobody in');
      await fetch(`${hub.url}/logout`, { method: 'POST', headers: { cookie }, redirect: 'manual' });
      assert.equal(await page(), 303, 'signed out');
    });

    it("stores a gateway's state report after a heartbeat numbered above it", async () => {
      // A heartbeat numbered after a state report can reach the hub first; the hub keeps only
      // state reports in seq order, so the report still counts.
      const beat = await fetch(`${hub.url}/api/v1/reports`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          v: 1,
          kind: 'heartbeat',
          device,
          seq: 10 ** 9,
          sentAt: new Date().toISOString(),
          resources: { cpus: 1 },
        }),
      });
      assert.equal(beat.status, 200);
      const commit = await repo.commit('iot v3');
      assert.equal((await ferrydOnce(setup)).report.converged, true);
      assert.equal((await view())?.deployments[0]?.appliedRevision, commit);
    });

    it('refuses what a device may not write, and what is not a report, changing nothing', async () => {
      const other = uniqueDevice('hubother');
      const otherToken = await enroll(hub, other);
      const post = (body: string, bearer = otherToken) =>
        fetch(`${hub.url}/api/v1/reports`, {
          method: 'POST',
          headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
          body,
        }).then(async (r) => ({
          status: r.status,
          body: (await r.json()) as { error: string; problems?: string[] },
        }));
      const heartbeat = (id: string) =>
        JSON.stringify({
          v: 1,
          kind: 'heartbeat',
          device: id,
          seq: 10 ** 9,
          sentAt: new Date().toISOString(),
          resources: { cpus: 1 },
        });
      const before = await view();
      const forged = await post(heartbeat(device));
      assert.equal(forged.status, 403);
      assert.match(forged.body.error, new RegExp(`belongs to ${other}`));
      assert.equal((await post(heartbeat(other), 'not-a-token')).status, 401);
      const malformed = await post(JSON.stringify({ v: 1, kind: 'state', device: other }));
      assert.equal(malformed.status, 400);
      assert.ok((malformed.body.problems ?? []).length > 0);
      assert.equal((await post('{not json')).status, 400);
      assert.equal((await post('x'.repeat(300 * 1024))).status, 413);
      assert.deepEqual(await view(), before);
      assert.equal((await hubGet(hub, '/api/v1/devices', 'wrong-operator')).status, 401);
      assert.equal(
        (await hubGet(hub, '/api/v1/devices', token)).status,
        401,
        'a device token reads nothing',
      );
    });

    it('counts how each revision of a deployment fares', async () => {
      const { body } = await hubGet<{
        name: string;
        revisions: Record<string, Record<string, number>>;
      }>(hub, '/api/v1/deployments/iot');
      const counts = Object.values(body.revisions);
      assert.equal(counts.length, 1);
      assert.equal(counts[0]?.converged, 1);
    });

    it('pages the fleet in id order, the same on either database, and the CLI follows', async () => {
      const more = ['B', 'a', '10', '2', 'x_y'].map((suffix) => `${device}-${suffix}`);
      for (const id of more) await enroll(hub, id);
      const paged: string[] = [];
      let after: string | undefined;
      do {
        const query = `limit=2${after === undefined ? '' : `&after=${encodeURIComponent(after)}`}`;
        const { body } = await hubGet<DevicesView & { next?: string }>(
          hub,
          `/api/v1/devices?${query}`,
        );
        assert.ok(body.devices.length <= 2);
        paged.push(...body.devices.map((d) => d.id));
        after = body.next;
      } while (after !== undefined);
      const ids = (await hubGet<DevicesView>(hub, '/api/v1/devices')).body.devices.map((d) => d.id);
      assert.deepEqual(paged, [...ids].sort(), 'each device once, by code unit');
      for (const id of [device, ...more]) assert.ok(paged.includes(id), id);
      assert.equal((await hubGet(hub, '/api/v1/devices?limit=5000')).status, 400);
      const status = await runCli('ferry', [
        'status',
        '--hub',
        hub.url,
        '--token-file',
        join(hub.dir, 'operator-token'),
        '--json',
      ]);
      assert.equal(status.code, 0, status.stderr);
      const listed = (JSON.parse(status.stdout) as DevicesView).devices.map((d) => d.id);
      assert.deepEqual(listed.sort(), [...ids].sort());
    });
  });
}

hubSuite('sqlite');
hubSuite('postgres');
