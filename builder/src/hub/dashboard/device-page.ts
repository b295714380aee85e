// One device: who it is, what it has left, its deployments and services, the output of containers
// that failed their health gate, its recent events and the operations asked of it.
import type { deviceDetail } from '../operator-api.js';
import { html, type SafeHtml } from './html.js';
import { ago, labels, short, state } from './format.js';
import type { Page } from './layout.js';

export type DeviceDetail = NonNullable<Awaited<ReturnType<typeof deviceDetail>>>;

const MiB = 1024 * 1024;
const bytes = (value: unknown) =>
  typeof value !== 'number'
    ? '—'
    : value < MiB
      ? `${Math.round(value / 1024)} KiB`
      : `${Math.round(value / MiB).toLocaleString('en')} MiB`;

export function devicePage(device: DeviceDetail, now: number): Page {
  const identity = device.identity as Record<string, string | undefined>;
  const r = device.resources as Record<string, number | undefined>;
  return {
    title: device.id,
    live: html`<h1>${device.id} ${state(device.online)}</h1>
      ${
        device.inFleet === false
          ? html`<p class="not-in-fleet" id="not-in-fleet">
              Not in the fleet repository: it enrolled itself, and no devices/${device.id}.yaml
              names it yet.
            </p>`
          : ''
      }
      <div class="cards">
        <div class="card"><b>${ago(device.lastSeen, now)}</b>last seen</div>
        <div class="card">
          <b>${identity.arch ?? '—'}</b>${identity.os ?? ''} ${identity.kernel ?? ''}
        </div>
        <div class="card"><b>${r.load1 ?? '—'}</b>load (${r.cpus ?? '?'} CPUs)</div>
        <div class="card"><b>${bytes(r.memAvailable)}</b>of ${bytes(r.memTotal)} memory free</div>
        <div class="card"><b>${bytes(r.diskFree)}</b>free for ferryd's state</div>
        <div class="card"><b>${bytes(r.engineDiskFree)}</b>free for the engine</div>
      </div>
      <p class="muted">
        ferryd ${identity.ferrydVersion ?? '?'} · engine ${identity.engineVersion ?? '?'} · host
        ${identity.hostname ?? '?'} · ${labels(device.labels)}
      </p>
      <h2>Deployments</h2>
      <table id="deployments">
        <thead>
          <tr>
            <th>deployment</th>
            <th>status</th>
            <th>desired</th>
            <th>applied</th>
            <th>services</th>
            <th>why</th>
          </tr>
        </thead>
        <tbody>
          ${device.deployments.map(
            (d) =>
              html`<tr data-deployment="${d.name}">
                <td><a href="/deployments/${encodeURIComponent(d.name)}">${d.name}</a></td>
                <td class="status ${d.status}">
                  ${d.status}${d.until ? html` until ${d.until}` : ''}
                </td>
                <td><code>${short(d.desiredRevision)}</code></td>
                <td><code>${short(d.appliedRevision)}</code></td>
                <td>${d.services.map((s) => html`<div>${s.name}: ${s.state}</div>`)}</td>
                <td>${d.code ? html`<code>${d.code}</code> ` : ''}${d.reason ?? ''}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      ${failureLogs(device)} ${events(device, now)} ${operations(device)}`,
  };
}

function failureLogs(device: DeviceDetail): SafeHtml {
  if (device.failureLogs.length === 0) return html``;
  return html`<h2>Failure logs</h2>
    ${device.failureLogs.map(
      (log) =>
        html`<section class="failure-log" data-deployment="${log.deployment}">
          <p>
            ${log.at}: <b>${log.deployment}/${log.service}</b> at
            <code>${short(log.revision)}</code> (container ${log.container}), its last
            ${log.lines.length} lines:
          </p>
          <pre class="log">${log.lines.join('\n')}</pre>
        </section>`,
    )}`;
}

function events(device: DeviceDetail, now: number): SafeHtml {
  return html`<h2>Events</h2>
    <table id="events">
      <thead>
        <tr>
          <th>when</th>
          <th>revision</th>
          <th>outcome</th>
          <th>downloaded</th>
          <th>failures</th>
        </tr>
      </thead>
      <tbody>
        ${device.events.map((event) => {
          const body = event.body as {
            revision?: string | null;
            converged?: boolean;
            failures?: { code: string; message: string }[];
            bytesDownloaded?: number;
            timings?: { fetchMs: number; applyMs: number };
          };
          const took = body.timings
            ? ` in ${((body.timings.fetchMs + body.timings.applyMs) / 1000).toFixed(1)} s`
            : '';
          return html`<tr>
            <td title="${event.at}">${ago(event.at, now)}</td>
            <td><code>${short(body.revision ?? null)}</code></td>
            <td class="status ${body.converged ? 'converged' : 'failed'}">
              ${body.converged ? 'converged' : 'not converged'}
            </td>
            <td>${bytes(body.bytesDownloaded)}${took}</td>
            <td>
              ${(body.failures ?? []).map((f) => html`<div><code>${f.code}</code> ${f.message}</div>`)}
            </td>
          </tr>`;
        })}
      </tbody>
    </table>`;
}

function operations(device: DeviceDetail): SafeHtml {
  if (device.operations.length === 0) return html``;
  return html`<h2>Operations</h2>
    <table id="operations">
      <thead>
        <tr>
          <th>asked</th>
          <th>by</th>
          <th>what</th>
          <th>state</th>
          <th>result</th>
        </tr>
      </thead>
      <tbody>
        ${device.operations.map(
          (o) =>
            html`<tr>
              <td>${o.requestedAt}</td>
              <td>${o.requestedBy}</td>
              <td>${o.kind} ${o.deployment}/${o.service}</td>
              <td>${o.state}</td>
              <td>
                ${o.result?.error ?? ''}${
                  o.result?.lines ? html`<pre class="log">${o.result.lines.join('\n')}</pre>` : ''
                }
              </td>
            </tr>`,
        )}
      </tbody>
    </table>`;
}
