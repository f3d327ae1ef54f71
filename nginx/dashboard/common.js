// What every dashboard page shares: API calls (with the API key the user
// typed, kept in sessionStorage only), the key dialog, error and empty
// states, number formatting, sortable tables, the period picker and the
// colour palette. The pages read this origin's API and nothing else.

const KEY_STORE = 'trader.apiKey';

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status; // 0: no answer at all
    this.code = code;
    this.body = body;
  }
}

function apiKey() {
  return sessionStorage.getItem(KEY_STORE) || '';
}

// api(path, {method, body}): the parsed JSON answer; throws ApiError on a
// non-2xx answer (with the API's error code and message) or no answer.
export async function api(path, opts = {}) {
  const headers = {Accept: 'application/json'};
  const key = apiKey();
  if (key) headers.Authorization = 'Bearer ' + key;
  const init = {method: opts.method || 'GET', headers, cache: 'no-store'};
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(opts.body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'unreachable', 'The API does not answer (' + e.message + ').');
  }
  let body = null;
  try {
    body = await res.json();
  } catch (e) {
    body = null;
  }
  if (!res.ok) {
    const code = body && body.error ? body.error : 'http_' + res.status;
    const msg = body && body.message ? body.message : 'HTTP ' + res.status;
    throw new ApiError(res.status, code, msg, body);
  }
  return body;
}

// askKey(reason): shows the API key dialog; resolves true when the user
// entered a key (stored for this browser session), false when cancelled.
function askKey(reason) {
  let dlg = document.getElementById('key-dialog');
  if (!dlg) {
    dlg = el('dialog', {id: 'key-dialog', 'aria-labelledby': 'key-title'});
    const form = el('form', {method: 'dialog'});
    form.append(
      el('h2', {id: 'key-title'}, 'API key needed'),
      el('p', {id: 'key-reason'}),
      el('label', {for: 'key-input'}, 'API key (Bearer token)'),
      el('input', {id: 'key-input', type: 'password', autocomplete: 'off', required: ''}),
      el('p', {class: 'hint'},
         'Kept in this browser tab only (sessionStorage); create one with ' +
             '"traderctl keys create --name NAME --scope write".'),
      el('div', {class: 'buttons'},
         el('button', {type: 'submit', value: 'ok'}, 'Use key'),
         el('button', {type: 'button', id: 'key-cancel', class: 'secondary'}, 'Cancel')));
    dlg.append(form);
    document.body.append(dlg);
    dlg.querySelector('#key-cancel').addEventListener('click', () => dlg.close('cancel'));
  }
  dlg.querySelector('#key-reason').textContent = reason;
  const input = dlg.querySelector('#key-input');
  input.value = '';
  return new Promise((resolve) => {
    dlg.addEventListener('close', () => {
      const ok = dlg.returnValue === 'ok' && input.value.trim() !== '';
      if (ok) sessionStorage.setItem(KEY_STORE, input.value.trim());
      resolve(ok);
    }, {once: true});
    dlg.returnValue = '';
    dlg.showModal();
    input.focus();
  });
}

export function forgetKey() {
  sessionStorage.removeItem(KEY_STORE);
}

// withKey(fn): runs fn; on a 401 asks for a key and tries again until the
// call passes or the user cancels (then the 401 is thrown).
export async function withKey(fn) {
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) throw e;
      if (!(await askKey(e.message))) throw e;
    }
  }
}

// el(tag, attrs, ...children): a new element; strings become text nodes.
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== null && v !== undefined && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) {
    if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

// --- formatting ------------------------------------------------------------
const moneyFmt = new Intl.NumberFormat('en-US', {style: 'currency', currency: 'USD'});
const costFmt = new Intl.NumberFormat('en-US', {
  style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 4});
const intFmt = new Intl.NumberFormat('en-US', {maximumFractionDigits: 0});
const dollarsFmt = new Intl.NumberFormat('en-US', {style: 'currency', currency: 'USD',
                                                   maximumFractionDigits: 0});
export const DASH = '\u2014';

function isNum(x) {
  return typeof x === 'number' && Number.isFinite(x);
}
// Amounts are signed with the minus sign pct() and ratio() use, not '-'.
function signed(fmt, x) {
  return isNum(x) ? fmt.format(x).replace('-', '\u2212') : DASH;
}
export function money(x) {
  return signed(moneyFmt, x);
}
// dollars(x): whole dollars (chart axes).
export function dollars(x) {
  return signed(dollarsFmt, x);
}
export function cost(x) {
  return signed(costFmt, x);
}
// pct(x): a percent value as the API gives it (already x 100), signed.
export function pct(x) {
  if (!isNum(x)) return DASH;
  const s = Math.abs(x).toFixed(2) + '\u00a0%';
  return x > 0 ? '+' + s : x < 0 ? '\u2212' + s : s;
}
export function ratio(x) {
  return isNum(x) ? (x < 0 ? '\u2212' : '') + Math.abs(x).toFixed(2) : DASH;
}
export function int(x) {
  return isNum(x) ? intFmt.format(x) : DASH;
}
// when(iso, minutes): a UTC timestamp, to the second (or the minute).
export function when(iso, minutes = false) {
  if (!iso) return DASH;
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toISOString().replace('T', ' ').slice(0, minutes ? 16 : 19) + ' UTC';
}

// --- states --------------------------------------------------------------------
// showError(box, err, what): a clear message for a failed API call (what:
// "loading the leaderboard"), with a way out where there is one: on a 401,
// enter a key, then the page reloads with it.
export function showError(box, err, what) {
  box.replaceChildren();
  box.className = 'state error';
  const cap = what.charAt(0).toUpperCase() + what.slice(1);
  let text;
  if (!(err instanceof ApiError)) {
    text = cap + ' failed: ' + err.message;
  } else if (err.status === 0) {
    text = 'The API is down: nothing answers at ' + location.host +
        '. Is the stack running? (scripts/stack status)';
  } else if (err.status === 401) {
    text = 'An API key is needed for ' + what + ': ' + err.message;
  } else if (err.status === 403) {
    text = 'This API key may not do that (' + what + '): ' + err.message;
  } else if (err.status >= 500) {
    text = 'The service is unavailable (HTTP ' + err.status + '): ' + err.message;
  } else {
    text = cap + ' failed: ' + err.message + ' (HTTP ' + err.status + ')';
  }
  box.append(el('p', {}, text));
  // The header's status line tells the same story.
  if (err instanceof ApiError && (err.status === 0 || err.status >= 500)) healthLine();
  if (err instanceof ApiError && err.status === 401) {
    const b = el('button', {type: 'button'}, 'Enter API key');
    b.addEventListener('click', async () => {
      if (await askKey(err.message)) location.reload();
    });
    box.append(b);
  }
}

export function showState(box, text, cls = 'empty') {
  box.className = 'state ' + cls;
  box.replaceChildren(el('p', {}, text));
}

export function clearState(box) {
  box.className = 'state';
  box.replaceChildren();
}

// --- sortable tables -------------------------------------------------------------
// sortableTable(table, columns, rows): fills TABLE (which has a caption)
// with a header of sort buttons and the rows. columns: [{key, label, value:
// row -> sortable value, cell: row -> text, num, rowHeader}]. Clicking a
// header sorts by it (again: reverses); aria-sort says the current order.
export function sortableTable(table, columns, rows, initial) {
  let sortKey = initial ? initial.key : null;
  let dir = initial ? initial.dir : 'ascending';
  const thead = el('thead');
  const tr = el('tr');
  const ths = columns.map((c) => {
    const b = el('button', {type: 'button', 'data-key': c.key}, c.label);
    const th = el('th', {scope: 'col', class: c.num ? 'num' : null}, b);
    b.addEventListener('click', () => {
      dir = sortKey === c.key && dir === 'ascending' ? 'descending' : 'ascending';
      sortKey = c.key;
      render();
    });
    return th;
  });
  tr.append(...ths);
  thead.append(tr);
  const tbody = el('tbody');
  table.querySelectorAll('thead, tbody').forEach((n) => n.remove());
  table.append(thead, tbody);

  function render() {
    const col = columns.find((c) => c.key === sortKey);
    const sorted = rows.slice();
    if (col) {
      sorted.sort((a, b) => {
        const va = col.value(a), vb = col.value(b);
        // Missing values sort last either way.
        if (va === null || va === undefined) return 1;
        if (vb === null || vb === undefined) return -1;
        const c = typeof va === 'string' ? va.localeCompare(vb) : va - vb;
        return dir === 'ascending' ? c : -c;
      });
    }
    columns.forEach((c, i) => {
      if (c.key === sortKey) ths[i].setAttribute('aria-sort', dir);
      else ths[i].removeAttribute('aria-sort');
    });
    tbody.replaceChildren(...sorted.map((r) => {
      const row = el('tr', r.rowClass ? {class: r.rowClass} : {});
      for (const c of columns) {
        const v = c.value(r);
        const attrs = {class: c.num ? 'num' : null, 'data-key': c.key,
                       'data-value': v === null || v === undefined ? '' : String(v)};
        if (c.rowHeader) attrs.scope = 'row';
        row.append(el(c.rowHeader ? 'th' : 'td', attrs, c.cell(r)));
      }
      return row;
    }));
  }
  render();
}

// simpleTable(table, headers, rows): a plain table; rows are arrays of cell
// text, the first cell a row header. headers: [{label, num}].
export function simpleTable(table, headers, rows) {
  table.querySelectorAll('thead, tbody').forEach((n) => n.remove());
  const thead = el('thead', {}, el('tr', {}, ...headers.map(
      (h) => el('th', {scope: 'col', class: h.num ? 'num' : null}, h.label))));
  const tbody = el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map(
      (v, i) => el(i === 0 ? 'th' : 'td', {scope: i === 0 ? 'row' : null,
                                           class: headers[i].num ? 'num' : null}, v)))));
  table.append(thead, tbody);
}

// --- the period of /performance --------------------------------------------------
// The period is in the page's query string (job_id, or start_date and
// end_date), so a view can be bookmarked and carried between pages.
function periodFromURL() {
  const q = new URLSearchParams(location.search);
  const p = {};
  for (const k of ['job_id', 'start_date', 'end_date']) {
    if (q.get(k)) p[k] = q.get(k);
  }
  return p;
}

export function periodQuery(p) {
  const q = new URLSearchParams(p).toString();
  return q ? '?' + q : '';
}

// jobsList(): the jobs, newest first (GET /simulate/jobs).
export async function jobsList(limit = 50) {
  const j = await api('/simulate/jobs?limit=' + limit);
  return Array.isArray(j) ? j : j.jobs || [];
}

function jobLabel(j) {
  const r = j.date_range || [];
  const span = r.length ? r[0] + ' \u2192 ' + r[r.length - 1] : 'no dates';
  return j.job_id.slice(0, 8) + ' \u00b7 ' + span + ' \u00b7 ' + j.status;
}

// periodPicker(form, onChange): fills the period form (whole history, a
// job, a date range), keeps the choice in the URL and calls onChange(p).
export function periodPicker(form, onChange) {
  const radio = (value, text) => el('label', {}, el('input', {type: 'radio', name: 'period', value}),
                                    ' ' + text);
  form.replaceChildren(el('fieldset', {},
      el('legend', {}, 'Period'),
      radio('all', 'Whole history'), radio('job', 'Job'),
      el('select', {id: 'period-job', 'aria-label': 'Job'}),
      radio('range', 'Dates'),
      el('label', {for: 'period-start', class: 'visually-hidden'}, 'From'),
      el('input', {type: 'date', id: 'period-start'}),
      el('label', {for: 'period-end', class: 'visually-hidden'}, 'To'),
      el('input', {type: 'date', id: 'period-end'}),
      el('button', {type: 'submit'}, 'Show')));
  const p = periodFromURL();
  const kind = p.job_id ? 'job' : p.start_date || p.end_date ? 'range' : 'all';
  form.querySelector(`input[name=period][value=${kind}]`).checked = true;
  const jobSel = form.querySelector('#period-job');
  const start = form.querySelector('#period-start');
  const end = form.querySelector('#period-end');
  start.value = p.start_date || '';
  end.value = p.end_date || '';

  function sync() {
    const k = form.querySelector('input[name=period]:checked').value;
    jobSel.disabled = k !== 'job';
    start.disabled = end.disabled = k !== 'range';
  }
  jobsList().then((jobs) => {
    jobSel.replaceChildren(...jobs.map((j) => el('option', {value: j.job_id}, jobLabel(j))));
    if (!jobs.length) jobSel.append(el('option', {value: ''}, 'no jobs yet'));
    if (p.job_id) jobSel.value = p.job_id;
  }).catch(() => {
    jobSel.replaceChildren(el('option', {value: p.job_id || ''}, p.job_id || 'jobs unavailable'));
  });
  form.addEventListener('change', sync);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const k = form.querySelector('input[name=period]:checked').value;
    const np = {};
    if (k === 'job' && jobSel.value) np.job_id = jobSel.value;
    if (k === 'range') {
      if (start.value) np.start_date = start.value;
      if (end.value) np.end_date = end.value;
    }
    history.replaceState(null, '', location.pathname + periodQuery(np));
    linkPeriod();
    onChange(np);
  });
  sync();
  linkPeriod();
  onChange(p);
}

// Links marked data-period carry the current period to the other page.
function linkPeriod() {
  for (const a of document.querySelectorAll('a[data-period]')) {
    a.search = location.search;
  }
}

// --- colours -------------------------------------------------------------------
// Okabe & Ito's colour-blind-safe palette (without its black, kept for QQQ,
// and its yellow moved last: too pale on white).
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442'];
export const BENCHMARK = 'QQQ';
export function colour(name, i) {
  return name === BENCHMARK ? '#000000' : PALETTE[i % PALETTE.length];
}

// --- page header -----------------------------------------------------------------
const PAGES = [
  ['./', 'Leaderboard', true], ['equity.html', 'Equity curves', true],
  ['day.html', 'Model-day', false], ['jobs.html', 'Jobs', false],
];

// pageHeader(): the navigation (the leaderboard and the equity curves carry
// the period between them) and the API status line.
export function pageHeader() {
  const here = location.pathname.replace(/.*\//, '') || './';
  const items = PAGES.map(([href, text, period]) => {
    const cur = href === here || (href === './' && here === 'index.html');
    return el('li', {}, el('a', {href, 'aria-current': cur ? 'page' : null,
                                 'data-period': period ? '' : null}, text));
  });
  document.getElementById('top').replaceChildren(
      el('nav', {'aria-label': 'Dashboard pages'}, el('ul', {}, ...items)),
      el('p', {id: 'health', class: 'health', role: 'status'}));
  healthLine();
}

// The header's status line: whether the API answers, and whether the prices
// are the synthetic sample (then every number on the page is made up).
async function healthLine() {
  const box = document.getElementById('health');
  if (!box) return;
  try {
    const h = await api('/health');
    const synth = h.prices && h.prices.synthetic ? ' \u00b7 SYNTHETIC prices (not market data)' : '';
    box.textContent = 'API ' + h.status + synth;
    box.className = 'health ok';
  } catch (e) {
    if (e instanceof ApiError && e.body && e.body.status) {
      box.textContent = 'API ' + e.body.status;
    } else if (e.status === 401) {
      box.textContent = 'API: key needed';
    } else {
      box.textContent = e.status === 0 ? 'API down' : 'API: ' + e.message;
    }
    box.className = 'health bad';
  }
}
