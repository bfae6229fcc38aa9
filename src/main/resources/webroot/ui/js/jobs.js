// The jobs view: one page of GET /jobs (newest first) with a state filter and cursor paging. Up to three
// running jobs of the page follow their event stream, those on screen first; the page is read again now and
// then (one request for the page, never one per row) to see jobs start, end and arrive, and to move the bars
// of running jobs without a stream.

import { ApiError, jobsApi } from './api.js';
import { announce, el, time, TERMINAL } from './format.js';
import { ProgressBar } from './progress.js';
import { followJob } from './sse.js';

const STATES = ['queued', 'running', 'completed', 'failed', 'cancelled', 'timed_out'];
/** Browsers open at most six HTTP/1.1 connections to a host: streams leave room for the API calls. */
const MAX_STREAMS = 3;
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
  const streams = new Map(); // job id -> stop()
  const onScreen = new Set(); // ids of rows in the viewport
  // Rows entering or leaving the viewport may hand a stream from one running row to another.
  const observer = new IntersectionObserver((entries) => {
    for (const e of entries) {
      if (e.isIntersecting) {
        onScreen.add(e.target.dataset.job);
      } else {
        onScreen.delete(e.target.dataset.job);
      }
    }
    follow();
  });

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
        observer.observe(row.tr);
      } else if (!streams.has(job.id)) {
        row.set(job);
      }
      return row.tr;
    });
    for (const id of [...rows.keys()]) {
      if (!seen.has(id)) {
        observer.unobserve(rows.get(id).tr);
        onScreen.delete(id);
        rows.delete(id);
        unfollow(id);
      }
    }
    tbody.replaceChildren(...ordered);
    follow();
  };

  /**
   * Gives the stream budget to running rows: those on screen first, then the others in page order. A stream
   * is kept until its job ends or leaves the page, except that a row on screen takes the stream of a row off
   * screen when none is free (so scrolling moves streams to what is seen, without churn otherwise).
   */
  const follow = () => {
    if (signal.aborted) {
      return;
    }
    const running = [...rows.values()].filter((r) => r.job.state === 'running');
    const ordered = [...running.filter((r) => onScreen.has(r.job.id)), ...running.filter((r) => !onScreen.has(r.job.id))];
    for (const row of ordered) {
      const id = row.job.id;
      if (streams.has(id)) {
        continue;
      }
      if (streams.size >= MAX_STREAMS) {
        const offScreen = onScreen.has(id) ? [...streams.keys()].find((s) => !onScreen.has(s)) : undefined;
        if (offScreen === undefined) {
          return;
        }
        unfollow(offScreen);
      }
      stream(row);
    }
  };

  const stream = (row) => {
    const id = row.job.id;
    const stop = followJob(id, {
      progress: (p) => row.set({ ...row.job, progress: p }),
      state: (s) => {
        const was = row.job.state;
        row.set({ ...row.job, state: s.state, error: s.error ?? null });
        if (TERMINAL.has(s.state)) {
          if (was !== s.state) {
            announce(`Job ${id.slice(0, 8)} ${s.state.replace('_', ' ')}`);
          }
          unfollow(id);
          follow();
        }
      },
      gone: () => { unfollow(id); },
    });
    streams.set(id, stop);
    row.tr.dataset.live = 'true'; // which rows have a stream (the page re-read moves the others)
  };

  const unfollow = (id) => {
    streams.get(id)?.();
    streams.delete(id);
    if (rows.has(id)) {
      delete rows.get(id).tr.dataset.live;
    }
  };

  signal.addEventListener('abort', () => {
    clearTimeout(timer);
    observer.disconnect();
    streams.forEach((stop) => stop());
    streams.clear();
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

