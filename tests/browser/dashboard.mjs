// Drives the dashboard in Debian's headless chromium (puppeteer-core) against
// a running stack and checks each page against the API's own answers.
// Run by tests/integration/test_dashboard.sh on a fresh stack with prices,
// no job and one write key (so triggers need it). Environment:
//   BASE         the stack's URL (http://127.0.0.1:PORT)
//   KEY          the write API key
//   STOP_DAEMON  a shell command that stops traderd (jobs then stay pending)
//   AUTH_READS   a shell command that restarts the stack with TRADER_AUTH_READS=1
//   STOP_STACK   a shell command that stops the whole stack
//   SHOTS        the directory for the screenshots
//   NPM_TOOLS    where scripts/npm-tools installed the pinned npm tools
//   CHROMIUM     the browser (default /usr/bin/chromium)
// Output: one line per check, "PASS text" or "FAIL text", and "# diag".
import {execSync} from 'node:child_process';
import {mkdirSync} from 'node:fs';
import {createRequire} from 'node:module';

// puppeteer-core from the pinned npm tools (scripts/npm-tools).
const puppeteer = createRequire(process.env.NPM_TOOLS + '/')('puppeteer-core');

const {BASE, KEY, SHOTS, STOP_DAEMON, AUTH_READS, STOP_STACK} = process.env;
const WAIT_MS = 60000; // the longest any wait may take (a failure, not a timing check)
let failed = 0;

function check(cond, text, ...diag) {
  console.log((cond ? 'PASS ' : 'FAIL ') + text);
  if (!cond) {
    failed++;
    for (const d of diag) console.log('# ' + (typeof d === 'string' ? d : JSON.stringify(d)));
  }
  return cond;
}

async function getJSON(path) {
  const r = await fetch(BASE + path);
  if (!r.ok) throw new Error(path + ': HTTP ' + r.status + ' ' + (await r.text()));
  return r.json();
}

// open(path, viewport): a new page on BASE + path that records every console
// error, page error and failed request.
async function open(browser, path, viewport = {width: 1280, height: 900}) {
  const page = await browser.newPage();
  await page.setViewport(viewport);
  page.problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error') page.problems.push({text: 'console: ' + m.text(), url: m.location()?.url});
  });
  page.on('pageerror', (e) => page.problems.push({text: 'page error: ' + e.message}));
  page.on('requestfailed', (r) => {
    // Navigating away aborts the jobs page's poll in flight: not an error.
    if (r.failure()?.errorText !== 'net::ERR_ABORTED') {
      page.problems.push({text: 'request failed: ' + r.url() + ' ' + r.failure()?.errorText});
    }
  });
  await page.goto(BASE + path, {waitUntil: 'load'});
  return page;
}

// finish(page, name, {allow}): checks the page logged no error (but the
// 401 answers of URLs matching allow, when a test provokes them).
async function finish(page, name, opts = {}) {
  const problems = page.problems.filter((p) => !(opts.allow && p.url && opts.allow.test(p.url) &&
                                                 / 401 /.test(p.text)));
  check(problems.length === 0, name + ': no console error', ...problems.map((p) => p.text + ' ' + (p.url || '')));
  await page.screenshot({path: `${SHOTS}/${name}.png`, fullPage: opts.fullPage ?? true});
  await page.close();
}

const cells = (page, sel) => page.$$eval(sel, (rows) => rows.map(
    (tr) => Array.from(tr.children, (c) => ({key: c.dataset.key, value: c.dataset.value,
                                             text: c.textContent.trim()}))));

function usd(x) {
  return '$' + x.toLocaleString('en-US', {minimumFractionDigits: 2, maximumFractionDigits: 2});
}

// answerKey(page): the key dialog comes up (a 401); type the key in.
async function answerKey(page) {
  await page.waitForSelector('#key-dialog[open]', {timeout: WAIT_MS});
  await page.screenshot({path: `${SHOTS}/key-dialog.png`});
  await page.type('#key-input', KEY);
  await page.click('#key-dialog button[type=submit]');
}

async function jobsPage(browser) {
  const page = await open(browser, '/dashboard/jobs.html');
  // A fresh service: the empty state.
  await page.waitForFunction(() => /No jobs yet/.test(document.getElementById('state').textContent),
                             {timeout: WAIT_MS}).catch(() => {});
  check(/No jobs yet/.test(await page.$eval('#state', (s) => s.textContent)), 'jobs: "No jobs yet" on a fresh service');
  await page.screenshot({path: `${SHOTS}/jobs-empty.png`});
  // Every status each job's row shows, in order, from now on.
  await page.evaluate(() => {
    window.seen = {};
    const note = () => {
      for (const tr of document.querySelectorAll('#jobs tr[data-job]')) {
        const l = (window.seen[tr.dataset.job] ||= []);
        if (l[l.length - 1] !== tr.dataset.status) l.push(tr.dataset.status);
      }
    };
    new MutationObserver(note).observe(document.getElementById('jobs'), {childList: true, subtree: true});
  });
  // The page's own trigger button; with keys on, the key dialog answers the 401.
  await page.click('#trigger button[type=submit]');
  await answerKey(page);
  check(true, 'jobs: a 401 asks for the API key');
  await page.waitForFunction(() => /[0-9a-f]{8}-/.test(document.getElementById('trigger-state').textContent),
                             {timeout: WAIT_MS}).catch(() => {});
  const said = await page.$eval('#trigger-state', (s) => s.textContent);
  const job = (said.match(/[0-9a-f]{8}-[0-9a-f-]{27}/) || [''])[0];
  check(job !== '', 'jobs: the trigger button queued a job', said);
  check(await page.evaluate(() => sessionStorage.getItem('trader.apiKey')) === KEY,
        'jobs: the key is kept in sessionStorage');
  const row = `#jobs tr[data-job="${job}"]`;
  const end = await page.waitForSelector(
      `${row}:is([data-status=completed],[data-status=partial],[data-status=failed],[data-status=cancelled])`,
      {timeout: WAIT_MS}).then(() => page.$eval(row, (tr) => tr.dataset.status), () => 'timeout');
  const seen = await page.evaluate((j) => window.seen[j] || [], job);
  check(end === 'completed' && ['pending', 'running'].includes(seen[0]) && seen[seen.length - 1] === 'completed',
        'jobs: the page followed the job from ' + seen[0] + ' to completed without a reload', seen);
  const status = await getJSON('/simulate/status/' + job);
  const total = status.progress.total_model_days;
  await page.waitForFunction((n) => document.querySelectorAll('#days tbody tr').length === n &&
      !document.querySelector('#jobs button[data-cancel]'), {timeout: WAIT_MS}, total).catch(() => {});
  const days = await page.$$eval('#days tbody tr', (rows) => rows.map(
      (tr) => Array.from(tr.children, (c) => c.textContent.trim())));
  const want = status.progress.details.map((d) => [d.date, d.model, d.status]);
  check(JSON.stringify(days.map((d) => d.slice(0, 3))) === JSON.stringify(want),
        `jobs: the ${total} model-days match /simulate/status`, days.slice(0, 3), want.slice(0, 3));
  const bar = await page.$eval(`${row} progress`, (p) => [p.value, p.max]);
  check(bar[0] === total && bar[1] === total, 'jobs: the progress bar is full', bar);
  await finish(page, 'jobs', {allow: /\/simulate\/trigger$/});
  return status;
}

async function leaderboardPage(browser, job) {
  const perf = await getJSON('/performance');
  // "/" redirects to the dashboard, whose index is the leaderboard.
  const page = await open(browser, '/');
  check(page.url() === BASE + '/dashboard/', '/ redirects to /dashboard/', page.url());
  await page.waitForSelector('#leaderboard tbody tr', {timeout: WAIT_MS});
  const rows = await cells(page, '#leaderboard tbody tr');
  const want = perf.models.slice().sort((a, b) => a.rank - b.rank).concat([{...perf.benchmark, model: 'QQQ'}]);
  const field = (r, k) => r.find((c) => c.key === k);
  check(rows.length === want.length && rows.length === perf.models.length + 1,
        `leaderboard: one row per model plus QQQ (${want.length})`, rows.length);
  check(JSON.stringify(rows.map((r) => field(r, 'model').value)) ===
        JSON.stringify(want.map((m) => m.model)), 'leaderboard: models in rank order, QQQ last',
        rows.map((r) => field(r, 'model').value));
  for (const k of ['end_value', 'total_return_pct', 'sharpe', 'max_drawdown_pct', 'trades']) {
    check(rows.every((r, i) => field(r, k).value === (want[i][k] === null || want[i][k] === undefined ?
                                                      '' : String(want[i][k]))),
          `leaderboard: ${k} of every row is /performance's`, rows.map((r) => field(r, k).value));
  }
  check(rows.every((r, i) => field(r, 'end_value').text === usd(want[i].end_value)),
        'leaderboard: final values shown as dollars', rows.map((r) => field(r, 'end_value').text));
  // A table for screen readers: column and row headers, sort buttons.
  const a11y = await page.evaluate(() => {
    const t = document.getElementById('leaderboard');
    return [t.caption !== null, [...t.tHead.rows[0].cells].every((c) => c.tagName === 'TH' &&
            c.scope === 'col' && c.querySelector('button')),
            [...t.tBodies[0].rows].every((r) => r.querySelector('th[scope=row]'))];
  });
  check(a11y.every(Boolean), 'leaderboard: caption, th scope=col with sort buttons, th scope=row', a11y);
  // Sorting: a header button (by mouse, then by keyboard).
  await page.click('#leaderboard th button[data-key=sharpe]');
  let sort = await page.$eval('#leaderboard th[aria-sort]', (th) => [th.textContent, th.getAttribute('aria-sort')]);
  check(sort[0].startsWith('Sharpe') && sort[1] === 'ascending', 'leaderboard: sort by Sharpe', sort);
  await page.focus('#leaderboard th button[data-key=model]');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Enter');
  sort = await page.$eval('#leaderboard th[aria-sort]', (th) => [th.textContent, th.getAttribute('aria-sort')]);
  const names = (await cells(page, '#leaderboard tbody tr')).map((r) => field(r, 'model').value);
  check(sort[0].startsWith('Model') && sort[1] === 'descending' &&
        JSON.stringify(names) === JSON.stringify(names.slice().sort((a, b) => b.localeCompare(a))),
        'leaderboard: keyboard sort by model, descending', sort, names);
  await page.click('#leaderboard th button[data-key=rank]');
  await finish(page, 'leaderboard', {fullPage: false});

  // The period picker: one job.
  const byJob = await open(browser, '/dashboard/?job_id=' + job);
  await byJob.waitForSelector('#leaderboard tbody tr', {timeout: WAIT_MS});
  const jp = await getJSON('/performance?job_id=' + job);
  const cap = await byJob.$eval('#lb-caption', (c) => c.textContent);
  check(cap.includes(jp.start_date) && cap.includes(jp.end_date), 'leaderboard: a job\'s period', cap);
  check(await byJob.$eval('input[name=period][value=job]', (i) => i.checked), 'leaderboard: the job period is picked');
  await finish(byJob, 'leaderboard-job');

  const phone = await open(browser, '/dashboard/', {width: 390, height: 844, isMobile: true});
  await phone.waitForSelector('#leaderboard tbody tr', {timeout: WAIT_MS});
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  check(!overflow, 'leaderboard: no page-wide horizontal scroll on a phone (the table scrolls in its box)');
  const [capRight, boxRight] = await phone.evaluate(() => [
    document.querySelector('#lb-caption').getBoundingClientRect().right,
    document.querySelector('#lb-caption').closest('.table-wrap').getBoundingClientRect().right]);
  check(capRight <= boxRight + 0.5, 'leaderboard: on a phone the caption wraps within the visible box',
        {capRight, boxRight});
  await finish(phone, 'leaderboard-phone');
}

async function equityPage(browser) {
  const s = await getJSON('/performance/series');
  const page = await open(browser, '/dashboard/equity.html');
  await page.waitForFunction(() => window.Chart && Chart.getChart('equity') && Chart.getChart('drawdown'),
                             {timeout: WAIT_MS});
  const names = Object.keys(s.series).sort();
  for (const id of ['equity', 'drawdown']) {
    const got = await page.evaluate((i) => Chart.getChart(i).data.datasets.map(
        (d) => [d.label, d.data.length]), id);
    check(JSON.stringify(got.map((g) => g[0]).sort()) === JSON.stringify(names) && names.includes('QQQ') &&
          got.every((g) => g[1] === s.dates.length),
          `equity: the ${id} chart has one series per model plus QQQ`, got, names);
  }
  const eq = await page.evaluate(() => Chart.getChart('equity').data.datasets.map((d) => [d.label, d.data]));
  check(eq.every(([n, d]) => JSON.stringify(d) === JSON.stringify(s.series[n])),
        'equity: the values are /performance/series\'s');
  // Hover: the tooltip names a date and the series' values.
  const box = await (await page.$('#equity')).boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const tip = await page.waitForFunction(() => {
    const t = Chart.getChart('equity').tooltip;
    return t.opacity > 0 && t.title.length ? [t.title[0], t.body.map((b) => b.lines[0])] : null;
  }, {timeout: WAIT_MS}).then((h) => h.jsonValue(), () => null);
  check(tip && s.dates.includes(tip[0]) && tip[1].length === names.length &&
        tip[1].every((l) => /: \$[0-9,]+\.[0-9]{2}$/.test(l)),
        'equity: hovering shows the date and every series\' value', tip);
  await page.screenshot({path: `${SHOTS}/equity-hover.png`});
  // Toggling a series hides it in both charts.
  await page.click('#toggles input[data-index="0"]');
  const vis = await page.evaluate(() => ['equity', 'drawdown'].map((i) => Chart.getChart(i).isDatasetVisible(0)));
  check(vis[0] === false && vis[1] === false, 'equity: a series can be toggled off in both charts', vis);
  await page.click('#toggles input[data-index="0"]');
  await page.mouse.move(0, 0);
  await finish(page, 'equity');
}

let knownDay = null;

async function dayPage(browser, status) {
  // A known day: the first date of the job, for the scripted mock agent,
  // which buys on its first session.
  const date = status.date_range[0];
  const model = status.models.includes('mock-agent') ? 'mock-agent' : status.models[0];
  const res = await getJSON(`/results?date=${date}&model=${model}&detail=full`);
  const r = res.results[0];
  check(r.trades.length > 0, `day: ${model} traded on ${date} (the known day)`, r);
  knownDay = {model, date};
  const page = await open(browser, `/dashboard/day.html?model=${model}&date=${date}`);
  await page.waitForFunction((t) => document.getElementById('day-title').textContent === t &&
      !document.getElementById('day').hidden, {timeout: WAIT_MS}, `${model} on ${date}`);
  await page.screenshot({path: `${SHOTS}/day-trades.png`, fullPage: true});
  const trades = await page.$$eval('#trades tbody tr', (rows) => rows.map(
      (tr) => Array.from(tr.children, (c) => c.textContent.trim())));
  check(JSON.stringify(trades.map((t) => [t[0], t[1], t[2], t[3]])) ===
        JSON.stringify(r.trades.map((t) => [String(t.id), t.action, t.symbol, String(t.amount)])),
        'day: the trades are /results\'s', trades, r.trades);
  check(trades.every((t, i) => t[5] === usd(r.trades[i].fee ?? 0) && t[6] === usd(r.trades[i].total)),
        'day: every trade shows its fee and total', trades);
  const pos = await page.$$eval('#positions tbody th', (ths) => ths.map((t) => t.textContent));
  const held = Object.keys(r.positions).filter((k) => k !== 'CASH').sort();
  check(JSON.stringify(pos) === JSON.stringify([...held, 'Cash']), 'day: the positions are /results\'s', pos, held);
  const text = await page.$eval('#reasoning', (p) => p.textContent);
  check(text === r.ai_reasoning.reasoning_summary, 'day: the reasoning summary', text);
  const tools = await page.$$eval('#tools tbody th', (ths) => ths.map((t) => t.textContent));
  check(JSON.stringify(tools) === JSON.stringify(Object.keys(r.ai_reasoning.tool_usage).sort()),
        'day: the tool usage', tools);
  const tok = r.ai_reasoning.token_usage;
  const summary = await page.$eval('#summary', (d) => d.textContent);
  check(!tok || summary.includes(tok.total_tokens.toLocaleString('en-US')), 'day: the tokens', summary);
  // The next day's button: the job's second date.
  await page.waitForFunction(() => !document.querySelector('#pick button.secondary:last-child').disabled,
                             {timeout: WAIT_MS}).catch(() => {});
  await page.click('#pick button.secondary:last-child');
  const next = `${model} on ${status.date_range[1]}`;
  const title = await page.waitForFunction((t) => document.getElementById('day-title').textContent === t,
                                           {timeout: WAIT_MS}, next).then(() => next, () => 'not shown');
  check(title === next && new URL(page.url()).searchParams.get('date') === status.date_range[1],
        'day: "Next day" shows the following trading day', title);
  await finish(page, 'day');
}

// An empty service: the pages say so instead of failing.
async function emptyStates(browser) {
  const page = await open(browser, '/dashboard/?start_date=1990-01-02&end_date=1990-01-05');
  await page.waitForFunction(() => document.getElementById('state').textContent.length > 0 &&
      !document.getElementById('state').classList.contains('loading'), {timeout: WAIT_MS});
  const text = await page.$eval('#state', (s) => s.textContent);
  check(/No (results|model)/.test(text), 'leaderboard: a period without results says so', text);
  await page.screenshot({path: `${SHOTS}/leaderboard-empty.png`});
  await page.close();
}

// Every page on a phone: no page-wide horizontal scroll (wide tables scroll
// in their own box).
async function phonePages(browser, day) {
  for (const [name, path, ready] of [
    ['equity', '/dashboard/equity.html', '#toggles:not([hidden])'],
    ['day', `/dashboard/day.html?model=${day.model}&date=${day.date}`, '#day:not([hidden])'],
    ['jobs', '/dashboard/jobs.html', '#jobs tr[data-job]'],
  ]) {
    const page = await open(browser, path, {width: 390, height: 844, isMobile: true});
    await page.waitForSelector(ready, {timeout: WAIT_MS});
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    check(!overflow, `${name}: no page-wide horizontal scroll on a phone`);
    await finish(page, name + '-phone');
  }
}

// With traderd stopped, a job triggered from the page stays pending and its
// cancel button cancels it at once (no race with the daemon).
async function cancelJob(browser, done) {
  execSync(STOP_DAEMON, {stdio: 'ignore'});
  const page = await open(browser, '/dashboard/jobs.html');
  page.on('dialog', (d) => d.accept());
  await page.waitForSelector('#jobs tr[data-job]', {timeout: WAIT_MS});
  // A re-run of the finished job's first day.
  await page.evaluate((d) => {
    document.getElementById('t-start').value = d;
    document.getElementById('t-end').value = d;
  }, done.date_range[0]);
  await page.click('#t-replace');
  await page.click('#trigger button[type=submit]');
  await answerKey(page);
  await page.waitForSelector('#jobs button[data-cancel]', {timeout: WAIT_MS}).catch(async () => {
    throw new Error('no job to cancel; the trigger said: ' + await page.$eval('#trigger-state', (s) => s.textContent));
  });
  const job = await page.$eval('#jobs button[data-cancel]', (b) => b.dataset.cancel);
  await page.click('#jobs button[data-cancel]');
  await page.waitForSelector(`#jobs tr[data-job="${job}"][data-status=cancelled]`, {timeout: WAIT_MS})
      .catch(() => {});
  const status = (await getJSON('/simulate/status/' + job)).status;
  check(status === 'cancelled' && await page.$(`#jobs tr[data-job="${job}"][data-status=cancelled]`) !== null &&
        await page.$(`#jobs button[data-cancel="${job}"]`) === null,
        'jobs: the cancel button cancels a pending job', status);
  await page.screenshot({path: `${SHOTS}/jobs-cancelled.png`});
  await page.close();
}

// Reads need a key (TRADER_AUTH_READS=1): the leaderboard says so, asks for
// the key and then shows the rows.
async function readsNeedKey(browser) {
  execSync(AUTH_READS, {stdio: 'ignore'});
  const page = await open(browser, '/dashboard/');
  await page.waitForSelector('#state.error button', {timeout: WAIT_MS});
  const text = await page.$eval('#state', (s) => s.textContent);
  check(/An API key is needed for loading the leaderboard/.test(text), 'leaderboard: a 401 says a key is needed', text);
  await page.screenshot({path: `${SHOTS}/leaderboard-401.png`});
  await page.click('#state.error button');
  await answerKey(page);
  const rows = await page.waitForSelector('#leaderboard tbody tr', {timeout: WAIT_MS}).then(() => true, () => false);
  check(rows, 'leaderboard: with the key entered, the rows come');
  await page.close();
}

// The API down: the page says so (nginx and the API are stopped under it).
async function apiDown(browser) {
  const page = await open(browser, '/dashboard/');
  await page.waitForFunction(() => !document.getElementById('state').classList.contains('loading'),
                             {timeout: WAIT_MS});
  execSync(STOP_STACK, {stdio: 'ignore'});
  await page.click('#period button[type=submit]');
  await page.waitForFunction(() => document.getElementById('state').classList.contains('error'),
                             {timeout: WAIT_MS}).catch(() => {});
  const text = await page.$eval('#state', (s) => s.textContent);
  check(/The API is down/.test(text), 'leaderboard: "the API is down" when nothing answers', text);
  await page.screenshot({path: `${SHOTS}/leaderboard-api-down.png`});
  await page.close();
}

mkdirSync(SHOTS, {recursive: true});
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
// Each page on its own: one failing does not hide the others' results.
async function run(name, fn) {
  try {
    return await fn();
  } catch (e) {
    check(false, name + ': the checks ran to the end', String(e.stack || e));
    return null;
  }
}
try {
  const status = await run('jobs', () => jobsPage(browser));
  if (status) {
    await run('day', () => dayPage(browser, status));
    await run('leaderboard', () => leaderboardPage(browser, status.job_id));
  }
  await run('equity', () => equityPage(browser));
  await run('empty states', () => emptyStates(browser));
  if (knownDay) await run('phone', () => phonePages(browser, knownDay));
  if (status) await run('cancel', () => cancelJob(browser, status));
  await run('reads need a key', () => readsNeedKey(browser));
  await run('api down', () => apiDown(browser));
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
