// The jobs view: one page of GET /jobs (newest first) with a state filter and cursor paging. The running jobs
// of the page follow ONE event stream (GET /events?jobs=...), whatever their number: a browser keeps six
// connections per host, so a stream per row could not follow them all. The page is read again now and then
// (one request for the page, never one per row) to see jobs start, end and arrive; a re-read that shows running
// rows the stream does not follow (or drops rows it does) opens a new one.

import { ApiError, jobsApi } from './api.js';
import { announce, el, time, TERMINAL } from './format.js';
import { ProgressBar } from './progress.js';
import { followJobs } from './sse.js';

const STATES = ['queued', 'running', 'completed', 'failed', 'cancelled', 'timed_out'];
const REFRESH_MS = refreshMs();

/**
 * How often the page is read again: 4 s, or the UI-only URL parameter refresh (ms, 1 s or more; e.g.
 * /ui/?refresh=60000#/jobs), which lets a test see that bars move from their streams alone.
 */
function refreshMs() {
  const ms = Number(new URLSearchParams(location.search).get('refresh'));
  return Number.isFinite(ms) && ms >= 1000 ? Math.min(ms, 3_600_000) : 4000;
}

export function renderJobs(main, params, signal) {
  const state = STATES.includes(params.get('state')) ? params.get('state') : '';
  const limit = [25, 50, 100].includes(Number(params.get('limit'))) ? Number(params.get('limit')) : 50;
  const cursors = [null]; // cursors[i]: where page i starts
  let page = 0;
  const rows = new Map(); // job id -> Row
  let live = null; // the page's stream: {ids (the jobs it still follows), stop()}

  const filter = el('select', { id: 'state-filter', name: 'state' },
    el('option', { value: '' }, 'all states'),
    STATES.map((s) => el('option', { value: s, selected: s === state }, s.replace('_', ' '))));
  filter.addEventListener('change', () => {
    location.hash = `#/jobs${filter.value ? `?state=${filter.value}` : ''}`;
  });
  const tbody = el('tbody');
  const table = el('table.jobs', { 'aria-busy': 'true' },
    el('caption.visually-hidden', {}, `Jobs${state ? ` in state ${state}` : ''}, newest first`),
    el('thead', {}, el('tr', {},
      el('th', { scope: 'col' }, 'Job'), el('th', { scope: 'col' }, 'Type'), el('th', { scope: 'col' }, 'State'),
      el('th.col-progress', { scope: 'col' }, 'Progress'), el('th', { scope: 'col' }, 'Created'),
      el('th', { scope: 'col' }, 'Labels'))),
    tbody);
  const status = el('p.status', { role: 'status' });
  const newer = el('button', { type: 'button', disabled: true }, '← Newer');
  const older = el('button', { type: 'button', disabled: true }, 'Older →');
  const pageLabel = el('span.page-label');

  main.append(
    el('div.view-head', {}, el('h1', {}, 'Jobs'), el('a.button.primary', { href: '#/submit' }, 'Submit a job')),
    el('div.toolbar', {},
      el('label', { for: 'state-filter' }, 'State'), filter,
      el('button', { type: 'button', onclick: () => load() }, 'Refresh')),
    status,
    el('div.table-wrap', {}, table),
    el('nav.pager', { 'aria-label': 'Pages of jobs' }, newer, pageLabel, older));

  newer.addEventListener('click', () => { page--; load(); });
  older.addEventListener('click', () => { page++; load(); });

  let timer = null;
  let latest = 0; // only the answer to the latest request is shown (a refresh may cross a click)
  const load = async () => {
    const seq = ++latest;
    clearTimeout(timer);
    table.setAttribute('aria-busy', 'true');
    try {
      const res = await jobsApi.list({ state, cursor: cursors[page], limit }, signal);
      if (seq !== latest) {
        return;
      }
      cursors[page + 1] = res.next;
      show(res.jobs);
      newer.disabled = page === 0;
      older.disabled = !res.next;
      pageLabel.textContent = `Page ${page + 1}`;
      status.textContent = res.jobs.length === 0 && page === 0
        ? (state ? `No ${state.replace('_', ' ')} jobs.` : 'No jobs yet.') : '';
      status.classList.remove('error');
    } catch (e) {
      if (signal.aborted || seq !== latest) {
        return;
      }
      status.textContent = e instanceof ApiError ? `Could not list jobs: ${e.message}` : 'Could not reach fetchd.';
      status.classList.add('error');
    } finally {
      if (seq === latest) {
        table.setAttribute('aria-busy', 'false');
      }
    }
    if (!signal.aborted && seq === latest) {
      const moving = [...rows.values()].some((r) => !TERMINAL.has(r.job.state));
      if (moving || page === 0) {
        // a hidden tab asks nothing until it is shown again
        const tick = () => {
          if (document.visibilityState === 'visible') {
            load();
          } else {
            timer = setTimeout(tick, REFRESH_MS);
          }
        };
        timer = setTimeout(tick, REFRESH_MS);
      }
    }
  };

  const show = (jobs) => {
    const seen = new Set();
    const ordered = jobs.map((job) => {
      seen.add(job.id);
      let row = rows.get(job.id);
      if (!row) {
        row = new Row(job);
        rows.set(job.id, row);
      } else if (!live?.ids.has(job.id)) {
        row.set(job); // a followed row is as new as its stream says: a re-read may be older
      }
      return row.tr;
    });
    for (const id of [...rows.keys()]) {
      if (!seen.has(id)) {
        rows.delete(id);
      }
    }
    tbody.replaceChildren(...ordered);
    follow();
  };

  /**
   * Opens a stream for the page's running rows unless the open one follows them all. Queued rows move at the
   * page's re-reads: following a job that runs nowhere yet costs the service a store read every few seconds.
   * A hidden tab follows nothing.
   */
  const follow = () => {
    if (signal.aborted) {
      return;
    }
    const wanted = document.visibilityState === 'visible'
      ? [...rows.values()].filter((r) => r.job.state === 'running').map((r) => r.job.id) : [];
    const ids = live?.ids ?? new Set();
    if (wanted.every((id) => ids.has(id)) && [...ids].every((id) => rows.has(id))) {
      return; // rows that ended meanwhile leave the stream's set as their end arrives
    }
    live?.stop();
    live = wanted.length === 0 ? null : stream(wanted);
  };

  const stream = (ids) => {
    const me = { ids: new Set(ids) };
    const ended = (id) => {
      me.ids.delete(id);
      if (rows.has(id)) {
        delete rows.get(id).tr.dataset.live;
      }
    };
    me.stop = followJobs(ids, {
      progress: (id, p) => {
        const row = rows.get(id);
        if (live === me && row) {
          row.set({ ...row.job, progress: p });
        }
      },
      state: (id, s) => {
        const row = rows.get(id);
        if (live !== me || !row) {
          return;
        }
        const was = row.job.state;
        row.set({ ...row.job, state: s.state, error: s.error ?? null });
        if (TERMINAL.has(s.state)) {
          if (was !== s.state) {
            announce(`Job ${id.slice(0, 8)} ${s.state.replace('_', ' ')}`);
          }
          ended(id);
        }
      },
      missing: (id) => {
        if (live === me) {
          ended(id); // removed meanwhile: the next re-read drops its row
        }
      },
      gone: () => {
        if (live === me) {
          // refused for good: the re-reads move every row again, and the next one asks for a stream anew
          [...me.ids].forEach(ended);
          live = null;
        }
      },
    });
    for (const id of ids) {
      rows.get(id).tr.dataset.live = 'true'; // which rows the stream follows (the re-read moves the others)
    }
    for (const row of rows.values()) {
      if (!me.ids.has(row.job.id)) {
        delete row.tr.dataset.live;
      }
    }
    return me;
  };

  const visibility = () => {
    if (document.visibilityState === 'visible') {
      load(); // catch up, and follow again
    } else {
      follow(); // hidden: stop following
    }
  };
  document.addEventListener('visibilitychange', visibility);
  signal.addEventListener('abort', () => {
    clearTimeout(timer);
    document.removeEventListener('visibilitychange', visibility);
    live?.stop();
    live = null;
  });
  load();
}

/** One row of the table. */
class Row {
  constructor(job) {
    this.bar = new ProgressBar({ label: `Progress of job ${job.id}` });
    this.stateCell = el('td.state-cell', { 'data-label': 'State' });
    this.tr = el('tr', { dataset: { job: job.id } },
      el('td.job-cell', { 'data-label': 'Job' },
        el('a.job-link', { href: `#/jobs/${encodeURIComponent(job.id)}` }, el('code', {}, job.id.slice(0, 12))),
        el('span.urls', {}, ` ${job.spec?.urlCount ?? ''} URL${job.spec?.urlCount === 1 ? '' : 's'}`)),
      el('td', { 'data-label': 'Type' }, job.type),
      this.stateCell,
      el('td.col-progress', { 'data-label': 'Progress' }, this.bar.root),
      el('td', { 'data-label': 'Created' }, el('time', { datetime: job.createdAt }, time(job.createdAt))),
      el('td', { 'data-label': 'Labels' }, labels(job.labels)));
    this.set(job);
  }

  set(job) {
    if (TERMINAL.has(this.job?.state) && !TERMINAL.has(job.state)) {
      return; // a terminal state never changes: a page read before the stream told of the end is stale
    }
    this.job = job;
    this.stateCell.replaceChildren(stateBadge(job.state));
    this.bar.update(job.progress, job.state);
  }
}

export function stateBadge(state) {
  return el(`span.badge.state-${state}`, { dataset: { state } }, state.replace('_', ' '));
}

function labels(map) {
  const entries = Object.entries(map || {});
  return entries.length === 0 ? '' : el('ul.labels', {}, entries.map(([k, v]) => el('li', {}, `${k}=${v}`)));
}

