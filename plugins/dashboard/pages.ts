/** Server-rendered HTML shells: the login form, the app and the status page (scripts and styles are bundled files). */

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function shell(o: {
  base: string;
  title: string;
  page: string;
  entry: 'app' | 'status' | null;
  body: string;
  data?: Record<string, string>;
}): string {
  const data = Object.entries({ base: o.base, ...o.data })
    .map(([k, v]) => ` data-${k}="${esc(v)}"`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(o.page)} · ${esc(o.title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${esc(o.base)}/assets/${o.entry ?? 'app'}.css">
${o.entry ? `<script defer src="${esc(o.base)}/assets/${o.entry}.js"></script>` : ''}
</head>
<body${data}>
${o.body}
</body>
</html>`;
}

const LOGIN_NOTE =
  "Sign in with the gateway's admin key. The key is checked once and is never stored in the browser: " +
  'a session cookie is set instead.';

export function loginPage(o: { base: string; title: string; error?: string }): string {
  return shell({
    ...o,
    page: 'Sign in',
    entry: null,
    body: `<main class="login">
  <form method="post" action="${esc(o.base)}/login" class="card" autocomplete="off">
    <h1>${esc(o.title)} dashboard</h1>
    <p class="muted">${LOGIN_NOTE}</p>
    ${o.error ? `<p class="alert" role="alert"><strong>Error:</strong> ${esc(o.error)}</p>` : ''}
    <label for="key">Admin key</label>
    <input id="key" name="key" type="password" required autofocus autocomplete="current-password" spellcheck="false">
    <button type="submit">Sign in</button>
  </form>
</main>`,
  });
}

const NAV_PAGES =
  '<a href="#overview">Overview</a><a href="#costs">Costs</a><a href="#budgets">Budgets</a>' +
  '<a href="#errors">Errors</a><a href="#health">Health</a><a href="#keys">Keys</a>';
const RANGE_SELECT =
  '<select id="f-range"><option value="1h">Last hour</option><option value="24h" selected>Last 24 hours</option>' +
  '<option value="7d">Last 7 days</option><option value="30d">Last 30 days</option>' +
  '<option value="custom">Custom…</option></select>';
const CUSTOM_RANGE =
  '<span id="f-custom" class="custom-range" hidden>' +
  '<label>From <input id="f-from" type="datetime-local"></label>' +
  '<label>To <input id="f-to" type="datetime-local"></label>' +
  '<button type="button" id="f-apply">Apply</button></span>';

export function appPage(o: { base: string; title: string; csrf: string }): string {
  const logout =
    `<form method="post" action="${esc(o.base)}/logout" class="logout">` +
    `<input type="hidden" name="csrf" value="${esc(o.csrf)}">` +
    '<button type="submit" class="link">Sign out</button></form>';
  return shell({
    ...o,
    page: 'Dashboard',
    entry: 'app',
    data: { csrf: o.csrf },
    body: `<header class="top">
  <a class="brand" href="${esc(o.base)}#overview">${esc(o.title)}</a>
  <nav id="nav" aria-label="Pages">
    ${NAV_PAGES}<a href="${esc(o.base)}/status">Status</a>
  </nav>
  ${logout}
</header>
<section id="filters" class="filters" aria-label="Filters">
  <label>Time range ${RANGE_SELECT}</label>
  ${CUSTOM_RANGE}
  <label>Project <select id="f-project"><option value="">All projects</option></select></label>
  <label>Key <select id="f-key"><option value="">All keys</option></select></label>
  <button type="button" id="f-refresh">Refresh</button>
</section>
<main id="view" aria-live="polite"><p class="muted">Loading…</p></main>`,
  });
}

export function statusPage(o: { base: string; title: string; signedIn: boolean }): string {
  return shell({
    ...o,
    page: 'Status',
    entry: 'status',
    body: `<header class="top">
  <span class="brand">${esc(o.title)} status</span>
  ${o.signedIn ? `<nav aria-label="Pages"><a href="${esc(o.base)}#overview">Dashboard</a></nav>` : ''}
</header>
<main id="view" aria-live="polite"><p class="muted">Loading…</p></main>`,
  });
}
