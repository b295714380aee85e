// One deployment: how each desired revision fares (converged, failed, rolled back, pending,
// offline) and where each device stands.
import type { deploymentView, DeviceView } from '../hub-views.js';
import type { deploymentDetail } from '../operator-api.js';
import { html } from './html.js';
import { ago, short, state } from './format.js';
import type { Page } from './layout.js';

export type DeploymentDetail = Awaited<ReturnType<typeof deploymentDetail>>;

export function deploymentPage(
  view: DeploymentDetail,
  devices: readonly DeviceView[],
  now: number,
): Page {
  return {
    title: view.name,
    live: html`<h1>Deployment ${view.name}</h1>
      ${rolloutPart(view)}
      <h2>How each revision fares</h2>
      <table id="revisions">
        ${head(['desired revision', 'devices', 'converged', 'failed', 'rolled back', 'pending', 'offline'])}
        <tbody>
          ${revisionRows(view)}
        </tbody>
      </table>
      <h2>Devices</h2>
      <table id="devices">
        ${head(['device', 'state', 'desired', 'applied', 'status', 'why', 'last seen'])}
        <tbody>
          ${deviceRows(view.name, devices, now)}
        </tbody>
      </table>`,
  };
}

const head = (cells: readonly string[]) =>
  html`<thead>
    <tr>
      ${cells.map((c) => html`<th>${c}</th>`)}
    </tr>
  </thead>`;

function revisionRows(view: ReturnType<typeof deploymentView>) {
  return Object.entries(view.revisions).map(
    ([revision, c]) =>
      html`<tr data-revision="${revision}">
        <td><code>${short(revision)}</code></td>
        <td>${c.devices}</td>
        <td class="converged">${c.converged}</td>
        <td class="failed">${c.failed}</td>
        <td class="rolled-back">${c.rolledBack}</td>
        <td>${c.pending}</td>
        <td class="offline">${c.offline}</td>
      </tr>`,
  );
}

function deviceRows(name: string, devices: readonly DeviceView[], now: number) {
  return devices.flatMap((d) =>
    d.deployments
      .filter((x) => x.name === name)
      .map(
        (x) =>
          html`<tr data-device="${d.id}">
            <td><a href="/devices/${encodeURIComponent(d.id)}">${d.id}</a></td>
            <td>${state(d.online)}</td>
            <td><code>${short(x.desiredRevision)}</code></td>
            <td><code>${short(x.appliedRevision)}</code></td>
            <td class="status ${x.status}">${x.status}</td>
            <td>${x.code ?? ''} ${x.reason ?? ''}</td>
            <td>${ago(d.lastSeen, now)}</td>
          </tr>`,
      ),
  );
}

/** The rollout as the devices report it, and the controller's decisions, newest first. */
function rolloutPart(view: DeploymentDetail) {
  if (!view.rollout && view.decisions.length === 0) return html``;
  const said = (d: Record<string, unknown>) => {
    if (d.action === 'promote') return `promoted ${String(d.from)}% -> ${String(d.to)}%`;
    if (d.action === 'pause') return `paused at ${String(d.at)}%: ${String(d.reason ?? '')}`;
    return `complete at ${String(d.at)}%`;
  };
  return html`<h2>Rollout</h2>
    ${
      view.rollout
        ? html`<p id="rollout-state">
            At
            ${view.rollout.percent}%${view.rollout.paused ? html` — <b class="failed">paused</b>` : ''}
          </p>`
        : ''
    }
    <table id="rollout-history">
      ${head(['when', 'decision', 'commit', 'failing devices'])}
      <tbody>
        ${view.decisions.map(
          (e) =>
            html`<tr>
              <td>${e.at}</td>
              <td>${said(e.decision)}</td>
              <td>
                <code
                  >${short(typeof e.decision.commit === 'string' ? e.decision.commit : null)}</code
                >
              </td>
              <td>
                ${(
                  (e.decision.failing ?? []) as { device: string; status: string; code?: string }[]
                ).map((f) => html`<div>${f.device}: ${f.status} ${f.code ?? ''}</div>`)}
              </td>
            </tr>`,
        )}
      </tbody>
    </table>`;
}
