// What the hub shows: devices filtered by label selector, deployment, status and online state;
// how each revision fares; the fleet gauges; the terminal table; and pages that escape whatever a
// device reported.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { statusTable } from '../../builder/src/cli/status-command.js';
import { FLEET_ROWS, fleetPage } from '../../builder/src/hub/dashboard/fleet-page.js';
import { html } from '../../builder/src/hub/dashboard/html.js';
import { fleetGauges } from '../../builder/src/hub/hub-metrics.js';
import type { DeviceRow } from '../../builder/src/hub/hub-store.js';
import {
  deploymentView,
  deviceView,
  filterOf,
  matches,
  parseSelector,
} from '../../builder/src/hub/hub-views.js';

const NOW = Date.parse('2026-11-30T12:00:00Z');
const MINUTE = 60_000;

function row(id: string, more: Partial<DeviceRow> = {}): DeviceRow {
  return {
    id,
    lastSeen: new Date(NOW - MINUTE).toISOString(),
    stateAt: new Date(NOW - MINUTE).toISOString(),
    identity: { arch: 'arm64' },
    labels: { site: 'vienna' },
    resources: {},
    revision: 'rev2',
    converged: true,
    deployments: [
      {
        name: 'iot',
        desiredRevision: 'rev2',
        appliedRevision: 'rev2',
        status: 'converged',
        services: [],
      },
    ],
    listed: true,
    enrolledBy: 'operator',
    frozen: null,
    ...more,
  };
}

const view = (r: DeviceRow) => deviceView(r, NOW, MINUTE);
const failed = row('gw-2', {
  labels: { site: 'graz' },
  deployments: [
    {
      name: 'iot',
      desiredRevision: 'rev3',
      appliedRevision: 'rev2',
      status: 'rolled-back',
      code: 'FERRY_HEALTH',
      services: [],
    },
  ],
});
const offline = row('gw-3', { lastSeen: new Date(NOW - 3 * MINUTE).toISOString() });
const selfEnrolled = row('gw-4', { enrolledBy: 'self', listed: null, deployments: [] });
const fleet = [row('gw-1'), failed, offline, selfEnrolled].map(view);
const pick = (query: string) => {
  const filter = filterOf(new URLSearchParams(query));
  assert.equal(typeof filter, 'object', String(filter));
  return fleet.filter((d) => matches(d, filter as Exclude<typeof filter, string>)).map((d) => d.id);
};

describe('hub views', () => {
  it('is offline after three missed heartbeats, online before', () => {
    assert.deepEqual(
      fleet.map((d) => [d.id, d.online]),
      [
        ['gw-1', true],
        ['gw-2', true],
        ['gw-3', false],
        ['gw-4', true],
      ],
    );
  });

  it('filters by selector, deployment, status and online state, all together', () => {
    assert.deepEqual(pick('selector=site=vienna'), ['gw-1', 'gw-3', 'gw-4']);
    assert.deepEqual(pick('selector=site!=vienna'), ['gw-2']);
    assert.deepEqual(pick('selector=site=vienna,missing=x'), []);
    assert.deepEqual(pick('deployment=iot'), ['gw-1', 'gw-2', 'gw-3']);
    assert.deepEqual(pick('status=rolled-back'), ['gw-2']);
    assert.deepEqual(pick('deployment=iot&status=converged&online=true'), ['gw-1']);
    assert.deepEqual(pick('online=false'), ['gw-3']);
  });

  it('says what is wrong with a filter', () => {
    assert.match(String(filterOf(new URLSearchParams('status=broken'))), /status must be one of/);
    assert.match(String(filterOf(new URLSearchParams('online=yes'))), /true or false/);
    assert.match(String(parseSelector('site')), /'site' is not a selector term/);
  });

  it('shows a self-enrolled device without a device file as not in the fleet', () => {
    assert.equal(fleet[3]?.inFleet, false);
    assert.equal(fleet[0]?.inFleet, true);
    assert.equal(view(row('gw-9', { listed: null })).inFleet, null, 'unknown yet');
  });

  it('counts each desired revision: converged, rolled back, offline', () => {
    assert.deepEqual(deploymentView('iot', fleet).revisions, {
      rev2: { devices: 2, converged: 1, failed: 0, rolledBack: 0, pending: 0, offline: 1 },
      rev3: { devices: 1, converged: 0, failed: 0, rolledBack: 1, pending: 0, offline: 0 },
    });
  });

  it('turns the fleet into gauges', () => {
    const gauges = fleetGauges(fleet);
    assert.deepEqual(gauges.devices, [
      { labels: { state: 'online' }, value: 3 },
      { labels: { state: 'offline' }, value: 1 },
    ]);
    assert.equal(gauges.notInFleet, 1);
    assert.deepEqual(
      gauges.deployments.find((s) => s.labels.status === 'rolled-back'),
      { labels: { deployment: 'iot', revision: 'rev3', status: 'rolled-back' }, value: 1 },
    );
  });

  it('prints the fleet as a terminal table', () => {
    const table = statusTable(fleet, undefined, NOW).split('\n');
    assert.match(table[0] ?? '', /^DEVICE\s+STATE\s+LAST SEEN\s+IOT$/);
    assert.match(table[2] ?? '', /^gw-2\s+online\s+60s ago\s+rev2 rolled-back FERRY_HEALTH$/);
    assert.match(table[3] ?? '', /^gw-3\s+OFFLINE/);
    assert.match(table[4] ?? '', /not in the fleet repository$/);
    assert.equal(table.at(-1), '4 devices, 3 online');
  });
});

const blank = { selector: '', deployment: '', status: '', online: '' };

describe('dashboard pages', () => {
  it('escapes what devices report: a label cannot inject markup', () => {
    const hostile = view(row('gw-x', { labels: { site: '<script>alert(1)</script>' } }));
    const page = fleetPage(
      [hostile],
      { selector: '"><b>', deployment: '', status: '', online: '' },
      NOW,
    );
    assert.ok(!page.live.text.includes('<script>alert'));
    assert.ok(page.live.text.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(page.live.text.includes('value="&quot;&gt;&lt;b&gt;"'));
  });

  it('shows failed updates first, then offline devices, and at most FLEET_ROWS rows', () => {
    const many = Array.from({ length: FLEET_ROWS + 10 }, (_, i) => view(row(`ok-${i}`)));
    const page = fleetPage([...many, fleet[2]!, fleet[1]!], blank, NOW).live.text;
    const order = [...page.matchAll(/<tr data-device="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(order.slice(0, 2), ['gw-2', 'gw-3']);
    assert.equal(order.length, FLEET_ROWS);
    assert.match(page, new RegExp(`Showing ${FLEET_ROWS} of ${FLEET_ROWS + 12}`));
  });

  it('keeps markup it built itself as it is', () => {
    const inner = html`<b>${'a<b'}</b>`;
    assert.equal(html`<p>${inner} ${[1, 2]} ${null}${false}</p>`.text, '<p><b>a&lt;b</b> 12 </p>');
  });
});
