// Small pieces every dashboard page shows the same way: times, revisions, labels, online state.
import { html } from './html.js';

export function ago(iso: string | null, now: number): string {
  if (!iso) return 'never';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 90) return `${seconds} s ago`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 36 * 3600) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86_400)} d ago`;
}

export const short = (revision: string | null) => (revision ? revision.slice(0, 10) : '—');
export const labels = (all: Readonly<Record<string, string>>) =>
  Object.entries(all).map(([k, v]) => html`<span class="label">${k}=${v}</span>`);
export const state = (online: boolean) =>
  html`<span class="status ${online ? 'online' : 'offline'}"
    >${online ? 'online' : 'offline'}</span
  >`;
