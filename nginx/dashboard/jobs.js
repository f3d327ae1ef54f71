// The jobs page: the jobs list (GET /simulate/jobs) and the selected job's
// model-days (GET /simulate/status/{id}), polled while a job is active: every
// second while something changes, backing off to MAX_ACTIVE_MS while nothing
// does and to MAX_IDLE_MS when no job is active or the API fails. Trigger
// and cancel ask for an API key when the service answers 401.
import {api, el, forgetKey, int, when, withKey, DASH, ApiError, pageHeader, jobsList,
        showError, showState, clearState, simpleTable} from './common.js';

const MIN_MS = 1000;
const MAX_ACTIVE_MS = 8000;
const MAX_IDLE_MS = 30000;
const ACTIVE = new Set(['pending', 'running']);

const state = document.getElementById('state');
const jobsTable = document.getElementById('jobs');
const pollLine = document.getElementById('poll');
let selected = new URLSearchParams(location.search).get('job') || '';
let delay = MIN_MS;
let timer = null;
let lastSeen = '';
let generation = 0; // the latest poll; an older one still in flight is dropped

function progressCell(p) {
  if (!p) return DASH;
  const done = p.completed + p.failed;
  const text = done + ' / ' + p.total_model_days + (p.failed ? ' (' + p.failed + ' failed)' : '');
  return el('span', {class: 'progress'},
      el('progress', {max: p.total_model_days || 1, value: done, 'aria-label': 'model-days done'}),
      ' ', text);
}

function statusBadge(s) {
  return el('span', {class: 'badge ' + s}, s);
}

// Re-rendering every poll must not take the keyboard focus away: the
// focused button (known by its aria-label) gets it back.
function renderJobs(jobs) {
  const had = jobsTable.contains(document.activeElement) ?
      document.activeElement.getAttribute('aria-label') : null;
  jobsTable.querySelectorAll('thead, tbody').forEach((n) => n.remove());
  const head = ['Job', 'Status', 'Progress', 'Dates', 'Models', 'Created', 'Action'];
  jobsTable.append(el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {scope: 'col'}, h)))));
  jobsTable.append(el('tbody', {}, ...jobs.map((j) => {
    const r = j.date_range || [];
    const show = el('button', {type: 'button', class: 'link', 'aria-label': 'Show job ' + j.job_id,
                               'aria-pressed': j.job_id === selected ? 'true' : 'false'},
                    j.job_id.slice(0, 8));
    show.addEventListener('click', () => select(j.job_id));
    let action = DASH;
    if (ACTIVE.has(j.status)) {
      action = el('button', {type: 'button', 'data-cancel': j.job_id,
                             'aria-label': 'Cancel job ' + j.job_id}, 'Cancel');
      action.addEventListener('click', () => cancel(j.job_id));
    }
    return el('tr', {'data-job': j.job_id, 'data-status': j.status},
        el('th', {scope: 'row'}, show), el('td', {}, statusBadge(j.status)),
        el('td', {}, progressCell(j.progress)),
        el('td', {}, r.length ? r[0] + ' \u2192 ' + r[r.length - 1] + ' (' + r.length + ')' : DASH),
        el('td', {}, (j.models || []).join(', ')), el('td', {}, when(j.created_at, true)),
        el('td', {}, action));
  })));
  if (had) jobsTable.querySelector(`[aria-label="${CSS.escape(had)}"]`)?.focus();
}

function renderJob(j) {
  const box = document.getElementById('job');
  document.getElementById('job-title').textContent = 'Job ' + j.job_id;
  const p = j.progress || {};
  const cur = p.current ? p.current.model + ' on ' + p.current.date : DASH;
  const items = [
    ['Status', statusBadge(j.status)], ['Progress', progressCell(p)], ['Now', cur],
    ['Created', when(j.created_at)], ['Started', when(j.started_at)],
    ['Finished', when(j.completed_at)],
    ['Duration', typeof j.total_duration_seconds === 'number' ?
        j.total_duration_seconds.toFixed(1) + ' s' : DASH],
  ];
  if (j.error) items.push(['Error', j.error]);
  if (j.warnings && j.warnings.length) items.push(['Warnings', j.warnings.join('; ')]);
  document.getElementById('job-summary').replaceChildren(
      ...items.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  const details = p.details || [];
  simpleTable(document.getElementById('days'),
      [{label: 'Date'}, {label: 'Model'}, {label: 'Status'}, {label: 'Duration', num: true},
       {label: 'Error'}],
      details.map((d) => [d.date, d.model, d.status,
                          typeof d.duration_seconds === 'number' ? d.duration_seconds.toFixed(2) + ' s' : DASH,
                          d.error || '']));
  box.hidden = false;
}

// refresh(): one poll. Returns whether anything changed and whether a job
// is active.
async function refresh() {
  const jobs = await jobsList();
  if (!selected && jobs.length) {
    const active = jobs.find((j) => ACTIVE.has(j.status));
    selected = (active || jobs[0]).job_id;
  }
  let job = null;
  if (selected) {
    try {
      job = await api('/simulate/status/' + encodeURIComponent(selected));
    } catch (e) {
      if (e.status !== 404) throw e;
      selected = '';
    }
  }
  const seen = JSON.stringify([jobs.map((j) => [j.job_id, j.status, j.updated_at, j.progress]),
                               job && [job.status, job.updated_at, job.progress]]);
  const changed = seen !== lastSeen;
  lastSeen = seen;
  if (changed) {
    renderJobs(jobs);
    jobsTable.parentElement.hidden = jobs.length === 0;
    if (jobs.length) clearState(state);
    else showState(state, 'No jobs yet. Start one below, or run scripts/quickstart.');
    if (job) renderJob(job);
    else document.getElementById('job').hidden = true;
  }
  return {changed, active: jobs.some((j) => ACTIVE.has(j.status))};
}

async function poll() {
  clearTimeout(timer);
  const mine = ++generation;
  try {
    const {changed, active} = await refresh();
    if (mine !== generation) return;
    delay = changed ? MIN_MS : Math.min(delay * 2, active ? MAX_ACTIVE_MS : MAX_IDLE_MS);
  } catch (e) {
    if (mine !== generation) return;
    lastSeen = '';
    showError(state, e, 'loading the jobs');
    delay = Math.min(delay * 2, MAX_IDLE_MS);
  }
  pollLine.textContent = 'Updated ' + new Date().toLocaleTimeString() + '; next check in ' +
      Math.round(delay / 1000) + ' s.';
  timer = setTimeout(poll, delay);
}

function select(id) {
  selected = id;
  history.replaceState(null, '', location.pathname + '?job=' + encodeURIComponent(id));
  lastSeen = '';
  delay = MIN_MS;
  poll();
}

async function cancel(id) {
  if (!confirm('Cancel job ' + id + '? Model-days in flight finish; the rest do not run.')) return;
  try {
    await withKey(() => api('/simulate/cancel/' + encodeURIComponent(id), {method: 'POST'}));
    showState(state, 'Cancelling job ' + id + '.', 'ok');
  } catch (e) {
    showError(state, e, 'cancelling the job');
  }
  select(id);
}

const triggerState = document.getElementById('trigger-state');
document.getElementById('trigger').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const body = {};
  const v = (id) => document.getElementById(id).value.trim();
  if (v('t-config')) body.config_path = v('t-config');
  if (v('t-models')) body.models = v('t-models').split(',').map((s) => s.trim()).filter(Boolean);
  if (v('t-start')) body.start_date = v('t-start');
  if (v('t-end')) body.end_date = v('t-end');
  if (document.getElementById('t-replace').checked) body.replace_existing = true;
  showState(triggerState, 'Sending\u2026', 'loading');
  try {
    const j = await withKey(() => api('/simulate/trigger', {method: 'POST', body}));
    if (j.job_id) {
      showState(triggerState, (j.message || 'Job ' + j.status) + ': ' + j.job_id + ' (' +
          int(j.total_model_days ?? (j.progress || {}).total_model_days) + ' model-days).', 'ok');
      select(j.job_id);
    } else {
      showState(triggerState, j.message + (j.last_simulation_date ?
          ' (last simulated day ' + j.last_simulation_date + ')' : '') + '.', 'ok');
    }
  } catch (e) {
    if (e instanceof ApiError && e.status === 409) {
      showState(triggerState, e.message + ': job ' + (e.body.current_job_id || '?') + '.', 'error');
    } else {
      showError(triggerState, e, 'starting the simulation');
    }
  }
});

document.getElementById('forget-key').addEventListener('click', () => {
  forgetKey();
  showState(triggerState, 'API key forgotten for this tab.', 'ok');
});

// A hidden tab stops polling; coming back checks at once.
document.addEventListener('visibilitychange', () => {
  if (document.hidden) {
    clearTimeout(timer);
    generation++;
  } else {
    delay = MIN_MS;
    poll();
  }
});

pageHeader();
poll();
