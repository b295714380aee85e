// The fleet table: every device (filtered), online or not, the revision and status of each
// deployment, when it was last heard from.
import { STATUSES, type DeviceView } from '../hub-views.js';
import { html, type SafeHtml } from './html.js';
import { ago, labels, short, state } from './format.js';
import type { Page } from './layout.js';

export interface FleetQuery {
  readonly selector: string;
  readonly deployment: string;
  readonly status: string;
  readonly online: string;
  /** What is wrong with the filter (then every device is shown). */
  readonly error?: string;
}

/** Rows the fleet page shows at most (the page refreshes every few seconds); filters narrow. */
export const FLEET_ROWS = 500;

const FAILED = ['failed', 'rolled-back', 'rejected'];
const failing = (d: DeviceView) => d.deployments.some((x) => FAILED.includes(x.status));

export function fleetPage(devices: readonly DeviceView[], query: FleetQuery, now: number): Page {
  const names = [...new Set(devices.flatMap((d) => d.deployments.map((x) => x.name)))].sort();
  // What needs a look comes first: failed updates, then devices offline, then the rest.
  const rank = (d: DeviceView) => (failing(d) ? 0 : d.online ? 2 : 1);
  const shown = [...devices].sort((a, b) => rank(a) - rank(b)).slice(0, FLEET_ROWS);
  return {
    title: 'Fleet',
    live: html`<h1>Fleet</h1>
      <div class="cards">
        <div class="card"><b id="count-devices">${devices.length}</b>devices</div>
        <div class="card">
          <b id="count-online">${devices.filter((d) => d.online).length}</b>online
        </div>
        <div class="card">
          <b id="count-failing">${devices.filter(failing).length}</b>with a failed update
        </div>
      </div>
      ${filterForm(query)}
      ${query.error ? html`<p class="failed" id="filter-error">${query.error}</p>` : ''}
      ${
        shown.length < devices.length
          ? html`<p class="muted" id="truncated">
              Showing ${shown.length} of ${devices.length} devices, failed updates and offline
              devices first: filter to see the others.
            </p>`
          : ''
      }
      <table id="fleet">
        <thead>
          <tr>
            <th>device</th>
            <th>state</th>
            <th>last seen</th>
            ${names.map((n) => html`<th><a href="/deployments/${encodeURIComponent(n)}">${n}</a></th>`)}
            <th>labels</th>
          </tr>
        </thead>
        <tbody>
          ${shown.map((d) => deviceRow(d, names, now))}
        </tbody>
      </table>`,
  };
}

function deviceRow(d: DeviceView, names: readonly string[], now: number): SafeHtml {
  return html`<tr data-device="${d.id}">
    <td>
      <a href="/devices/${encodeURIComponent(d.id)}">${d.id}</a>
      ${d.inFleet === false ? html`<div class="not-in-fleet">not in the fleet repository</div>` : ''}
      ${d.frozen ? html`<div class="failed frozen">frozen: beacon expired ${d.frozen.expiresAt}</div>` : ''}
    </td>
    <td>${state(d.online)}</td>
    <td>${ago(d.lastSeen, now)}</td>
    ${names.map((name) => {
      const x = d.deployments.find((y) => y.name === name);
      return x
        ? html`<td data-deployment="${name}">
            <code>${short(x.appliedRevision)}</code>
            <span class="status ${x.status}">${x.status}</span>
          </td>`
        : html`<td class="muted">—</td>`;
    })}
    <td>${labels(d.labels)}</td>
  </tr>`;
}

function filterForm(query: FleetQuery): SafeHtml {
  const option = (value: string, current: string, text = value) =>
    html`<option value="${value}" ${value === current ? html`selected` : ''}>${text}</option>`;
  return html`<form class="filter" method="get" action="/">
    <input name="selector" placeholder="label selector: site=vienna" value="${query.selector}" />
    <input name="deployment" placeholder="deployment" value="${query.deployment}" />
    <select name="status">
      ${option('', query.status, 'any status')} ${STATUSES.map((s) => option(s, query.status))}
    </select>
    <select name="online">
      ${option('', query.online, 'online or not')}
      ${option('true', query.online, 'online')}${option('false', query.online, 'offline')}
    </select>
    <button type="submit">Filter</button>
  </form>`;
}
