// The equity page: GET /performance/series for the chosen period, one line
// per model plus QQQ (Chart.js from Debian's libjs-chart.js), and the
// drawdown of each series computed from the same values. Checkboxes show or
// hide a series in both charts.
import {api, el, dollars, money, pct, colour, BENCHMARK, pageHeader, periodPicker, periodQuery,
        showError, showState, clearState} from './common.js';

const state = document.getElementById('state');
const toggles = document.getElementById('toggles');
let charts = [];

// drawdowns(values): V_t / max(V_0..V_t) - 1 in percent (null stays null).
function drawdowns(values) {
  let peak = null;
  return values.map((v) => {
    if (v === null || v === undefined) return null;
    peak = peak === null ? v : Math.max(peak, v);
    return (v / peak - 1) * 100;
  });
}

function datasets(series, transform) {
  const names = Object.keys(series).filter((n) => n !== BENCHMARK);
  if (BENCHMARK in series) names.push(BENCHMARK);
  return names.map((name, i) => ({
    label: name,
    data: transform(series[name]),
    borderColor: colour(name, i),
    backgroundColor: colour(name, i),
    borderDash: name === BENCHMARK ? [6, 4] : [],
    borderWidth: 2,
    pointRadius: 0,
    pointHoverRadius: 4,
    spanGaps: false,
  }));
}

function chart(id, labels, sets, fmt, tick) {
  const canvas = document.getElementById(id);
  return new window.Chart(canvas, {
    type: 'line',
    data: {labels, datasets: sets},
    options: {
      animation: false,
      maintainAspectRatio: false,
      interaction: {mode: 'index', intersect: false},
      plugins: {
        // The checkboxes above are the legend (keyboard-usable, both charts).
        legend: {display: false},
        tooltip: {callbacks: {label: (c) => c.dataset.label + ': ' + fmt(c.parsed.y)}},
      },
      scales: {
        x: {ticks: {maxRotation: 0, autoSkipPadding: 16}},
        y: {ticks: {callback: (v) => tick(v)}},
      },
    },
  });
}

function buildToggles(names) {
  toggles.querySelectorAll('label').forEach((n) => n.remove());
  names.forEach((name, i) => {
    const box = el('input', {type: 'checkbox', checked: true, 'data-index': i});
    box.addEventListener('change', () => {
      for (const c of charts) {
        c.setDatasetVisibility(i, box.checked);
        c.update();
      }
    });
    toggles.append(el('label', {}, box, ' ', el('span', {class: 'swatch', 'data-index': i}), name));
  });
  // The swatches take the series' colours (set through the CSSOM: the CSP
  // allows no inline style attributes).
  toggles.querySelectorAll('.swatch').forEach((s, i) => {
    s.style.backgroundColor = charts[0].data.datasets[i].borderColor;
  });
  toggles.hidden = false;
}

async function load(period) {
  showState(state, 'Loading\u2026', 'loading');
  charts.forEach((c) => c.destroy());
  charts = [];
  toggles.hidden = true;
  try {
    const s = await api('/performance/series' + periodQuery(period));
    if (!s.dates || !s.dates.length) {
      showState(state, 'No results in this period yet. Trigger a simulation on the Jobs page.');
      return;
    }
    const eq = datasets(s.series, (v) => v);
    const dd = datasets(s.series, drawdowns);
    charts = [chart('equity', s.dates, eq, money, dollars), chart('drawdown', s.dates, dd, pct, pct)];
    buildToggles(eq.map((d) => d.label));
    clearState(state);
  } catch (e) {
    if (e.status === 404) {
      showState(state, 'No results for this period yet (' + e.message + ').');
    } else {
      showError(state, e, 'loading the equity curves');
    }
  }
}

pageHeader();
// Chart.js is a classic deferred script: it has run before this module.
periodPicker(document.getElementById('period'), load);
