// The one-job view: state, error, a large live progress bar (from the event stream), timings, the spec,
// and the items, one page at a time with a state filter. Cancel asks first.

import { ApiError, authHeaders, authorizedFetch, jobsApi } from './api.js';
import { announce, bytes, duration, el, number, time, TERMINAL } from './format.js';
import { ProgressBar } from './progress.js';
import { followJob } from './sse.js';
import { stateBadge } from './jobs.js';

const ITEM_STATES = ['queued', 'running', 'succeeded', 'failed', 'skipped', 'cancelled'];
const ITEMS_PER_PAGE = 100;
/** The spoken summary changes at most this often (the bar itself moves with every event). */
const ANNOUNCE_MS = 5000;

export function renderJob(main, id, params, signal) {
  const badge = el('span.state-slot', { id: 'job-state' });
  const title = el('h1', {}, 'Job ', el('code', {}, id), ' ', badge);
  const cancelButton = el('button.danger', { type: 'button', id: 'cancel-job', hidden: true }, 'Cancel job');
  const errorBox = el('div.alert', { id: 'job-error', role: 'alert', hidden: true });
  const bar = new ProgressBar({ large: true, label: 'Job progress' });
  const summary = el('p.visually-hidden', { 'aria-live': 'polite', id: 'progress-summary' });
  const kinds = el('div.kinds');
  const timings = el('dl.facts', { id: 'timings' });
  const spec = el('div', { id: 'spec' });
  const status = el('p.status', { role: 'status' });
  const items = new ItemsTable(id, params, signal);

  main.append(
    el('p.crumbs', {}, el('a', { href: '#/jobs' }, '← All jobs')),
    el('div.view-head', {}, title, cancelButton),
    status, errorBox,
    el('section.card', { 'aria-labelledby': 'h-progress' }, el('h2', { id: 'h-progress' }, 'Progress'), bar.root, summary, kinds),
    el('div.columns', {},
      el('section.card', { 'aria-labelledby': 'h-timings' }, el('h2', { id: 'h-timings' }, 'Timings'), timings),
      el('section.card', { 'aria-labelledby': 'h-spec' }, el('h2', { id: 'h-spec' }, 'Spec'), spec)),
    items.root);

  let job = null;
  let lastSpoken = 0;
  let stop = null;

  const show = (j) => {
    const was = job?.state;
    job = j;
    badge.replaceChildren(stateBadge(j.state));
    cancelButton.hidden = TERMINAL.has(j.state);
    bar.update(j.progress, j.state);
    showError(j.error);
    showTimings(timings, j);
    showKinds(kinds, j.progress);
    const now = Date.now();
    if (was !== j.state || now - lastSpoken > ANNOUNCE_MS) {
      lastSpoken = now;
      summary.textContent = `Job ${j.state.replace('_', ' ')}. ${bar.bar.getAttribute('aria-valuetext')}`;
    }
    if (was && was !== j.state) {
      announce(`Job ${j.state.replace('_', ' ')}`);
    }
  };

  const showError = (error) => {
    errorBox.hidden = !error;
    errorBox.replaceChildren(...(error ? [el('strong', {}, error.code), ': ', error.message] : []));
  };

  cancelButton.addEventListener('click', async () => {
    if (!(await confirmCancel(id))) {
      return;
    }
    cancelButton.disabled = true;
    try {
      show(await jobsApi.cancel(id));
      items.reload();
    } catch (e) {
      status.textContent = `Could not cancel: ${e.message}`;
      status.classList.add('error');
    } finally {
      cancelButton.disabled = false;
    }
  });

  (async () => {
    try {
      const j = await jobsApi.get(id, signal);
      show(j);
      spec.replaceChildren(specView(j));
      items.load();
      if (!TERMINAL.has(j.state)) {
        stop = followJob(id, {
          progress: (p) => show({ ...job, progress: p }),
          state: async (s) => {
            show({ ...job, state: s.state, error: s.error ?? null });
            if (TERMINAL.has(s.state)) {
              // the timestamps and final counts come with the job itself
              try {
                show(await jobsApi.get(id, signal));
              } catch { /* the view moved on */ }
              items.reload();
            }
          },
          item: (item) => items.itemEvent(item),
          gone: () => { status.textContent = 'This job is gone (removed after its retention time).'; },
        });
      }
    } catch (e) {
      if (signal.aborted) {
        return;
      }
      status.classList.add('error');
      status.textContent = e instanceof ApiError && e.status === 404 ? `No job ${id}.` : `Could not load the job: ${e.message}`;
    }
  })();
  signal.addEventListener('abort', () => stop?.());
}

function confirmCancel(id) {
  const dialog = document.getElementById('confirm-dialog');
  document.getElementById('confirm-text').textContent =
    `Job ${id} stops: its running fetches are aborted and its partial files deleted.`;
  dialog.returnValue = '';
  dialog.showModal();
  document.getElementById('confirm-no').focus();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'yes'), { once: true });
  });
}

function showTimings(dl, j) {
  const end = j.finishedAt ? Date.parse(j.finishedAt) : Date.now();
  dl.replaceChildren(
    ...fact('Created', time(j.createdAt)),
    ...fact('Started', time(j.startedAt)),
    ...fact('Finished', time(j.finishedAt)),
    ...fact(j.finishedAt ? 'Ran for' : 'Running for', j.startedAt ? duration(end - Date.parse(j.startedAt)) : '–'),
    ...fact('Waited', duration((j.startedAt ? Date.parse(j.startedAt) : Date.now()) - Date.parse(j.createdAt))));
}

function showKinds(box, p) {
  if (!p.pages && !p.assets) {
    box.replaceChildren();
    return;
  }
  const cols = ['total', 'queued', 'running', 'succeeded', 'failed', 'skipped', 'cancelled'];
  box.replaceChildren(el('div.scroll-x', {}, el('table.kinds-table', {},
    el('caption', {}, 'By kind'),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Kind'), cols.map((c) => el('th', { scope: 'col' }, c)))),
    el('tbody', {}, [['pages', p.pages], ['assets', p.assets]].filter(([, k]) => k).map(([name, k]) =>
      el('tr', {}, el('th', { scope: 'row' }, name), cols.map((c) => el('td', {}, number(k[c])))))),
  )), p.notParsed ? el('p.hint', {}, `${number(p.notParsed)} pages stored but not parsed for links.`) : '');
}

function fact(name, value) {
  return [el('dt', {}, name), el('dd', {}, value)];
}

function specView(j) {
  const s = j.spec || {};
  const dl = el('dl.facts');
  dl.append(...fact('Type', s.type), ...fact('URLs', number(s.urlCount)), ...fact('Priority', s.priority ?? 0));
  const labels = Object.entries(s.labels || {});
  dl.append(...fact('Labels', labels.length ? labels.map(([k, v]) => `${k}=${v}`).join(', ') : '–'));
  for (const [k, v] of Object.entries(s.limits || {})) {
    dl.append(...fact(k, k === 'maxBytes' ? `${bytes(v)} (${number(v)})` : String(v)));
  }
  if (s.crawl) {
    for (const [k, v] of Object.entries(s.crawl)) {
      dl.append(...fact(`crawl.${k}`, Array.isArray(v) ? (v.length ? v.join(', ') : '–') : String(v)));
    }
  }
  return dl;
}

/** The items of the job: a page at a time (cursor), filtered by state, updated by item events. */
class ItemsTable {
  constructor(id, params, signal) {
    this.id = id;
    this.signal = signal;
    this.state = ITEM_STATES.includes(params.get('items')) ? params.get('items') : '';
    this.cursors = [null];
    this.page = 0;
    this.next = null;
    this.rows = new Map(); // index -> tr
    this.filter = el('select', { id: 'item-filter' }, el('option', { value: '' }, 'all states'),
      ITEM_STATES.map((s) => el('option', { value: s, selected: s === this.state }, s)));
    this.filter.addEventListener('change', () => {
      this.state = this.filter.value;
      this.cursors = [null];
      this.page = 0;
      this.load();
    });
    this.tbody = el('tbody');
    this.table = el('table.items', {},
      el('caption.visually-hidden', {}, 'Items of the job'),
      el('thead', {}, el('tr', {}, ['#', 'URL', 'Kind', 'State', 'HTTP', 'Size', 'Error', 'Duration', 'Attempts', 'Body']
        .map((h) => el('th', { scope: 'col' }, h)))),
      this.tbody);
    this.status = el('p.status', { role: 'status' });
    this.prev = el('button', { type: 'button', disabled: true, onclick: () => { this.page--; this.load(); } }, '← Previous');
    this.more = el('button', { type: 'button', disabled: true, onclick: () => { this.page++; this.load(); } }, 'Next →');
    this.pageLabel = el('span.page-label');
    this.root = el('section.card', { 'aria-labelledby': 'h-items' },
      el('div.view-head', {}, el('h2', { id: 'h-items' }, 'Items'),
        el('div.toolbar', {}, el('label', { for: 'item-filter' }, 'State'), this.filter,
          el('button', { type: 'button', onclick: () => this.load() }, 'Refresh'))),
      this.status,
      el('div.table-wrap', {}, this.table),
      el('nav.pager', { 'aria-label': 'Pages of items' }, this.prev, this.pageLabel, this.more));
  }

  reload() {
    this.load();
  }

  async load() {
    const seq = (this.latest = (this.latest || 0) + 1);
    this.table.setAttribute('aria-busy', 'true');
    try {
      const res = await jobsApi.items(this.id,
        { state: this.state, cursor: this.cursors[this.page], limit: ITEMS_PER_PAGE }, this.signal);
      if (seq !== this.latest) {
        return; // a newer request (filter, page, refresh) answers instead
      }
      this.next = res.next;
      this.cursors[this.page + 1] = res.next;
      this.rows.clear();
      this.tbody.replaceChildren(...res.items.map((i) => this.row(i)));
      this.prev.disabled = this.page === 0;
      this.more.disabled = !res.next;
      this.pageLabel.textContent = `Page ${this.page + 1}`;
      this.status.textContent = res.items.length === 0 ? `No ${this.state ? `${this.state} ` : ''}items yet.` : '';
    } catch (e) {
      if (!this.signal.aborted && seq === this.latest) {
        this.status.textContent = `Could not list items: ${e.message}`;
      }
    } finally {
      if (seq === this.latest) {
        this.table.setAttribute('aria-busy', 'false');
      }
    }
  }

  /** An item reached its outcome: update its row, or add it when it belongs at the end of this page. */
  itemEvent(item) {
    const existing = this.rows.get(item.index);
    if (existing) {
      existing.replaceWith(this.row(item));
      return;
    }
    const fits = !this.state || this.state === item.state;
    const last = this.tbody.lastElementChild ? Number(this.tbody.lastElementChild.dataset.index) : -1;
    if (fits && !this.next && this.rows.size < ITEMS_PER_PAGE && item.index > last) {
      this.tbody.append(this.row(item));
      this.status.textContent = '';
    }
  }

  row(i) {
    const tr = el('tr', { dataset: { index: i.index, state: i.state } },
      el('td', { 'data-label': '#' }, String(i.index)),
      el('td.url', { 'data-label': 'URL' }, el('span', { title: i.finalUrl && i.finalUrl !== i.url ? `→ ${i.finalUrl}` : i.url }, i.url)),
      el('td', { 'data-label': 'Kind' }, i.kind),
      el('td', { 'data-label': 'State' }, el(`span.badge.item-${i.state}`, {}, i.state)),
      el('td', { 'data-label': 'HTTP' }, i.status ?? '–'),
      el('td', { 'data-label': 'Size' }, i.bytes ? bytes(i.bytes) : '–'),
      el('td.error-cell', { 'data-label': 'Error' }, i.error
        ? el('details.item-error', {}, el('summary', {}, i.error.code), el('p', {}, i.error.message)) : '–'),
      el('td', { 'data-label': 'Duration' }, duration(i.durationMs)),
      el('td', { 'data-label': 'Attempts' }, String(i.attempts ?? 0)),
      el('td', { 'data-label': 'Body' }, i.content ? this.bodyLink(i) : '–'));
    this.rows.set(i.index, tr);
    return tr;
  }

  /**
   * A download link to the stored body. It always downloads (never opens in this origin: a stored page is
   * whatever a site served); with a token it is fetched with the header and saved from a blob.
   */
  bodyLink(i) {
    const name = fileName(i);
    const a = el('a.body-link', { href: i.content, download: name }, 'download');
    a.setAttribute('aria-label', `Download the body of item ${i.index}`);
    a.addEventListener('click', async (ev) => {
      if (!authHeaders().Authorization) {
        return; // the plain link works without tokens
      }
      ev.preventDefault();
      const res = await authorizedFetch(i.content);
      if (!res.ok) {
        this.status.textContent = `Could not download item ${i.index}: HTTP ${res.status}`;
        return;
      }
      const url = URL.createObjectURL(await res.blob());
      const save = el('a', { href: url, download: name });
      document.body.append(save);
      save.click();
      save.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    });
    return a;
  }
}

function fileName(i) {
  try {
    const last = new URL(i.finalUrl || i.url).pathname.split('/').filter(Boolean).pop();
    return last ? decodeURIComponent(last) : `item-${i.index}`;
  } catch {
    return `item-${i.index}`;
  }
}
