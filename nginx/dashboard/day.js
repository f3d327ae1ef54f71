// The model-day page: pick a model and a date, see that day from
// GET /results?detail=full (positions, trades with fees, the reasoning
// summary, tool usage, tokens and cost). Without a choice in the URL it
// shows the latest day that has results.
import {api, el, cost, int, money, pct, BENCHMARK, DASH, pageHeader, showError, showState, clearState,
        simpleTable} from './common.js';

const form = document.getElementById('pick');
const modelSel = document.getElementById('model');
const dateIn = document.getElementById('date');
const state = document.getElementById('state');
const day = document.getElementById('day');

function num(x, digits) {
  return typeof x === 'number' ? x.toLocaleString('en-US', {maximumFractionDigits: digits}) : DASH;
}

function summary(r) {
  const ai = r.ai_reasoning || {};
  const tok = ai.token_usage || {};
  const pnl = r.daily_pnl || {};
  const items = [
    ['Portfolio value', money(pnl.portfolio_value)],
    ['Profit', money(pnl.profit)],
    ['Return', pct(pnl.return_pct)],
    ['Job', r.job_id || DASH],
    ['Steps', int(ai.total_steps)],
    ['Stop signal', ai.stop_signal_received === undefined ? DASH : ai.stop_signal_received ? 'yes' : 'no'],
    ['Tokens (prompt / completion / total)',
     int(tok.prompt_tokens) + ' / ' + int(tok.completion_tokens) + ' / ' + int(tok.total_tokens)],
    ['Cost', cost(ai.cost_usd)],
  ];
  if (r.log_file_path) items.push(['Log file', r.log_file_path]);
  document.getElementById('summary').replaceChildren(
      ...items.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
}

function show(r) {
  document.getElementById('day-title').textContent = r.model + ' on ' + r.date;
  summary(r);
  const trades = r.trades || [];
  document.getElementById('no-trades').hidden = trades.length > 0;
  document.getElementById('trades').parentElement.hidden = trades.length === 0;
  simpleTable(document.getElementById('trades'),
      [{label: '#'}, {label: 'Action'}, {label: 'Symbol'}, {label: 'Shares', num: true},
       {label: 'Price', num: true}, {label: 'Fee', num: true}, {label: 'Total', num: true}],
      trades.map((t) => [String(t.id), t.action, t.symbol, num(t.amount, 0), money(t.price),
                         money(t.fee ?? 0), money(t.total)]));
  const pos = Object.entries(r.positions || {});
  const shares = pos.filter(([s]) => s !== 'CASH').sort(([a], [b]) => a.localeCompare(b));
  const cash = pos.find(([s]) => s === 'CASH');
  simpleTable(document.getElementById('positions'),
      [{label: 'Symbol'}, {label: 'Shares', num: true}],
      [...shares.map(([s, n]) => [s, num(n, 6)]), ...(cash ? [['Cash', money(cash[1])]] : [])]);
  const ai = r.ai_reasoning || {};
  document.getElementById('reasoning').textContent =
      ai.reasoning_summary || 'No reasoning summary for this day.';
  const tools = Object.entries(ai.tool_usage || {}).sort(([a], [b]) => a.localeCompare(b));
  document.getElementById('tools').parentElement.hidden = tools.length === 0;
  simpleTable(document.getElementById('tools'), [{label: 'Tool'}, {label: 'Calls', num: true}],
      tools.map(([t, n]) => [t, int(n)]));
  day.hidden = false;
}

async function load(model, date) {
  showState(state, 'Loading\u2026', 'loading');
  day.hidden = true;
  const q = new URLSearchParams({detail: 'full'});
  if (date) q.set('date', date);
  if (model) q.set('model', model);
  try {
    const j = await api('/results?' + q);
    const rows = j.results || [];
    // Every model of the day fills the picker (the API's latest day when
    // none was chosen), so the first visit has something to pick from.
    if (!model) {
      modelSel.replaceChildren(...rows.map((r) => el('option', {value: r.model}, r.model)));
    }
    const r = rows.find((x) => !model || x.model === model);
    if (!r) {
      showState(state, 'No results for ' + model + ' on ' + j.date + '.');
      return false;
    }
    modelSel.value = r.model;
    dateIn.value = j.date;
    show({...r, date: j.date});
    clearState(state);
    return true;
  } catch (e) {
    if (e.status === 404) {
      showState(state, model ? 'No results for ' + model + ' on ' + date +
          ' (not a trading day, or not simulated yet).' :
          'No results yet. Trigger a simulation on the Jobs page, or run scripts/quickstart.');
    } else {
      showError(state, e, 'loading this model-day');
    }
    return false;
  }
}

// The days with results of each model (GET /results over the whole
// series range), for the previous/next buttons; fetched once per model.
const modelDays = new Map();
let span = null; // [first, last] date of /performance/series

async function daysOf(model) {
  if (!span || !model) return [];
  if (!modelDays.has(model)) {
    const q = new URLSearchParams({model, start_date: span[0], end_date: span[1], limit: '10000'});
    modelDays.set(model, api('/results?' + q).then((j) => (j.results || []).map((r) => r.date),
                                                   () => []));
  }
  return modelDays.get(model);
}

async function updateSteps() {
  const days = await daysOf(modelSel.value);
  const i = days.indexOf(dateIn.value);
  const prev = i > 0 ? days[i - 1] : null;
  const next = i >= 0 && i + 1 < days.length ? days[i + 1] : null;
  for (const [b, d] of [[prevBtn, prev], [nextBtn, next]]) {
    b.disabled = !d;
    b.dataset.date = d || '';
  }
}

function showDay(model, date) {
  const q = new URLSearchParams({model, date});
  history.replaceState(null, '', location.pathname + '?' + q);
  load(model, date).then(updateSteps);
}

const prevBtn = el('button', {type: 'button', class: 'secondary', disabled: true}, '\u2190 Previous day');
const nextBtn = el('button', {type: 'button', class: 'secondary', disabled: true}, 'Next day \u2192');
form.querySelector('fieldset').append(prevBtn, nextBtn);
for (const b of [prevBtn, nextBtn]) {
  b.addEventListener('click', () => showDay(modelSel.value, b.dataset.date));
}

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  showDay(modelSel.value, dateIn.value);
});

// Every model with results joins the picker (the latest day may lack some).
async function allModels() {
  try {
    const s = await api('/performance/series');
    if (s.dates && s.dates.length) span = [s.dates[0], s.dates[s.dates.length - 1]];
    return Object.keys(s.series || {}).filter((n) => n !== BENCHMARK);
  } catch (e) {
    return [];
  }
}

function addModel(m) {
  if (m && !modelSel.querySelector(`option[value="${CSS.escape(m)}"]`)) {
    modelSel.append(el('option', {value: m}, m));
  }
}

async function start() {
  const q = new URLSearchParams(location.search);
  // The latest day first: it fills the picker and shows there is data.
  if (!(await load('', ''))) return;
  (await allModels()).forEach(addModel);
  if (q.get('model') || q.get('date')) {
    addModel(q.get('model'));
    await load(q.get('model') || modelSel.value, q.get('date') || dateIn.value);
  }
  updateSteps();
}

pageHeader();
start();
