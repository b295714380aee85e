// The dashboard's stylesheet and its one script, served from the hub itself (the pages' content
// security policy allows nothing else). No build chain: these are the files.

/** Refreshes the live part of the page every few seconds, without a reload. */
export const DASHBOARD_JS = `
const REFRESH_MS = 3000;
// A failure log is read from its end: where the container said why it failed.
function showLogEnds() {
  for (const pre of document.querySelectorAll('pre.log')) pre.scrollTop = pre.scrollHeight;
}
showLogEnds();
async function refresh() {
  const live = document.getElementById('live');
  if (!live) return;
  try {
    const response = await fetch(location.href, {
      headers: { 'x-ferry-fragment': '1' },
      credentials: 'same-origin',
      cache: 'no-store',
    });
    if (response.status === 401) { location.assign('/login'); return; }
    if (response.ok) {
      live.innerHTML = await response.text();
      showLogEnds();
      document.body.dataset.updated = new Date().toISOString();
      document.body.classList.remove('stale');
    } else document.body.classList.add('stale');
  } catch {
    document.body.classList.add('stale');
  }
}
setInterval(refresh, REFRESH_MS);
`;

export const DASHBOARD_CSS = `
:root { --fg: #1d2430; --muted: #667085; --line: #e4e7ec; --ok: #067647; --bad: #b42318;
  --warn: #b54708; --bg: #f9fafb; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; gap: 1.5rem; align-items: baseline; padding: .8rem 1.5rem;
  background: #101828; color: #fff; }
header a { color: #fff; text-decoration: none; } header .brand { font-weight: 700; }
main { padding: 1rem 1.5rem; }
body.stale header::after { content: 'hub not reached: showing the last answer'; color: #fda29b; }
h1 { font-size: 1.3rem; margin: .2rem 0 1rem; } h2 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { font-weight: 600; color: var(--muted); background: #f2f4f7; }
.status { font-weight: 600; } .converged, .online { color: var(--ok); }
.failed, .rolled-back, .rejected, .offline { color: var(--bad); }
.held, .updating, .waiting-window, .not-in-fleet { color: var(--warn); }
.muted { color: var(--muted); } code { font-size: 12px; }
.cards { display: flex; gap: 1rem; flex-wrap: wrap; margin-bottom: 1rem; }
.card { background: #fff; border: 1px solid var(--line); padding: .6rem 1rem; min-width: 9rem; }
.card b { display: block; font-size: 1.4rem; }
form.filter { display: flex; gap: .5rem; flex-wrap: wrap; margin-bottom: 1rem; }
input, select, button { font: inherit; padding: .25rem .5rem; }
pre.log { background: #101828; color: #e4e7ec; padding: .6rem; overflow: auto; max-height: 24rem;
  font-size: 12px; }
.label { display: inline-block; background: #eef4ff; border-radius: 3px; padding: 0 .35rem;
  margin: 0 .2rem .2rem 0; font-size: 12px; }
`;
