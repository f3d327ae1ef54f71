// The leaderboard page: GET /performance for the chosen period, one row per
// model plus the QQQ benchmark, sortable by every column.
import {api, el, cost, int, money, pct, ratio, DASH, BENCHMARK, pageHeader, periodPicker,
        periodQuery, showError, showState, clearState, sortableTable} from './common.js';

const table = document.getElementById('leaderboard');
const state = document.getElementById('state');
const caption = document.getElementById('lb-caption');

const COLUMNS = [
  {key: 'rank', label: 'Rank', num: true, value: (r) => r.rank, cell: (r) => r.rank ?? DASH},
  {key: 'model', label: 'Model', rowHeader: true, value: (r) => r.model,
   cell: (r) => r.model === BENCHMARK ? 'QQQ (buy and hold)' :
       el('a', {href: 'day.html?model=' + encodeURIComponent(r.model),
                title: 'The days of ' + r.model}, r.model)},
  {key: 'end_value', label: 'Final value', num: true, value: (r) => r.end_value,
   cell: (r) => money(r.end_value)},
  {key: 'total_return_pct', label: 'Total return', num: true, value: (r) => r.total_return_pct,
   cell: (r) => pct(r.total_return_pct)},
  {key: 'annualized_return_pct', label: 'Annualized', num: true,
   value: (r) => r.annualized_return_pct, cell: (r) => pct(r.annualized_return_pct)},
  {key: 'sharpe', label: 'Sharpe', num: true, value: (r) => r.sharpe, cell: (r) => ratio(r.sharpe)},
  {key: 'sortino', label: 'Sortino', num: true, value: (r) => r.sortino,
   cell: (r) => ratio(r.sortino)},
  {key: 'max_drawdown_pct', label: 'Max drawdown', num: true, value: (r) => r.max_drawdown_pct,
   cell: (r) => pct(r.max_drawdown_pct)},
  {key: 'win_rate_pct', label: 'Win rate', num: true, value: (r) => r.win_rate_pct,
   cell: (r) => (typeof r.win_rate_pct === 'number' ? r.win_rate_pct.toFixed(1) + '\u00a0%' : DASH)},
  {key: 'trades', label: 'Trades', num: true, value: (r) => r.trades, cell: (r) => int(r.trades)},
  {key: 'tokens', label: 'Tokens', num: true, value: (r) => (r.tokens ? r.tokens.total : null),
   cell: (r) => int(r.tokens ? r.tokens.total : null)},
  {key: 'cost_usd', label: 'Cost', num: true, value: (r) => r.cost_usd, cell: (r) => cost(r.cost_usd)},
];

async function load(period) {
  showState(state, 'Loading\u2026', 'loading');
  table.setAttribute('aria-busy', 'true');
  try {
    const perf = await api('/performance' + periodQuery(period));
    const rows = (perf.models || []).slice();
    if (perf.benchmark) rows.push({...perf.benchmark, model: BENCHMARK, rowClass: 'benchmark'});
    caption.textContent = 'Models ranked by total return from ' + perf.start_date + ' to ' +
        perf.end_date + ', against QQQ bought and held';
    sortableTable(table, COLUMNS, rows, {key: 'rank', dir: 'ascending'});
    if (!(perf.models || []).length) {
      showState(state, 'No model has results in this period yet. Trigger a simulation on the Jobs page.');
    } else {
      clearState(state);
    }
  } catch (e) {
    table.querySelectorAll('thead, tbody').forEach((n) => n.remove());
    if (e.status === 404) {
      showState(state, 'No results for this period yet (' + e.message +
          '). Trigger a simulation on the Jobs page, or run scripts/quickstart.');
    } else {
      showError(state, e, 'loading the leaderboard');
    }
  } finally {
    table.removeAttribute('aria-busy');
  }
}

pageHeader();
periodPicker(document.getElementById('period'), load);
