// The submit form: a download or crawl job from URLs pasted one per line. The service is the judge of what
// is valid: a refused submission's problem details are shown next to the fields they name (JSON pointers
// such as /urls/3 or /limits/concurrency), and in a summary at the top that links to each field.

import { ApiError, jobsApi } from './api.js';
import { el } from './format.js';

const LIMITS = [
  ['concurrency', 'Concurrency', 'fetches of this job at once', '8'],
  ['perHostConcurrency', 'Per-host concurrency', 'fetches to one host at once', '4'],
  ['perHostDelayMs', 'Per-host delay (ms)', 'between two requests to a host', '0'],
  ['requestTimeoutMs', 'Request timeout (ms)', '100 or more', '30000'],
  ['timeoutMs', 'Job timeout (ms)', 'the whole job', '3600000'],
  ['maxBytes', 'Max bytes per item', 'larger bodies fail as too_large', '104857600'],
  ['retries', 'Retries', 'of a retryable failure', '2'],
];

export function renderSubmit(main, signal) {
  const fields = new Map(); // pointer prefix -> {input, error}
  const summary = el('div.alert.error-summary', { id: 'error-summary', role: 'alert', tabindex: '-1', hidden: true });

  const field = (pointer, id, label, input, hint) => {
    const error = el('p.field-error', { id: `${id}-error`, hidden: true });
    const hintEl = hint ? el('p.hint', { id: `${id}-hint` }, hint) : null;
    input.id = id;
    input.setAttribute('aria-describedby', [hintEl && hintEl.id, error.id].filter(Boolean).join(' '));
    fields.set(pointer, { input, error });
    return el('div.field', { dataset: { field: pointer } }, el('label', { for: id }, label), hintEl, input, error);
  };
  const numberInput = (name, placeholder) =>
    el('input', { name, type: 'text', inputmode: 'numeric', placeholder, autocomplete: 'off' });

  const download = el('input', { type: 'radio', name: 'type', value: 'download', id: 'type-download', checked: true });
  const crawl = el('input', { type: 'radio', name: 'type', value: 'crawl', id: 'type-crawl' });
  const typeError = el('p.field-error', { id: 'type-error', hidden: true });
  fields.set('/type', { input: download, error: typeError });
  const urls = el('textarea', { name: 'urls', rows: 6, spellcheck: 'false', autocomplete: 'off', required: true });
  const priority = numberInput('priority', '0');
  const labels = el('textarea', { name: 'labels', rows: 3, spellcheck: 'false', placeholder: 'team=research' });
  const limitInputs = LIMITS.map(([name, , , def]) => [name, numberInput(name, def)]);
  const maxDepth = numberInput('maxDepth', '2');
  const maxPages = numberInput('maxPages', '100');
  const scope = el('select', { name: 'scope' }, ['host', 'domain', 'any'].map((s) => el('option', { value: s }, s)));
  const include = el('textarea', { name: 'include', rows: 2, spellcheck: 'false' });
  const exclude = el('textarea', { name: 'exclude', rows: 2, spellcheck: 'false' });
  const assets = el('input', { type: 'checkbox', name: 'assets', id: 'crawl-assets' });
  const robots = el('input', { type: 'checkbox', name: 'robots', id: 'crawl-robots', checked: true });
  const submit = el('button.primary', { type: 'submit', id: 'submit-job' }, 'Submit job');
  const status = el('p.status', { role: 'status' });

  const crawlSet = el('fieldset.crawl-options', { disabled: true },
    el('legend', {}, 'Crawl options'),
    el('div.grid', {},
      field('/crawl/maxDepth', 'crawl-maxDepth', 'Max depth', maxDepth, 'link hops from the seeds'),
      field('/crawl/maxPages', 'crawl-maxPages', 'Max pages', maxPages, 'pages fetched at most'),
      field('/crawl/scope', 'crawl-scope', 'Scope', scope, 'which links are followed')),
    field('/crawl/include', 'crawl-include', 'Include (regexes, one per line)', include, 'only URLs matching one are followed'),
    field('/crawl/exclude', 'crawl-exclude', 'Exclude (regexes, one per line)', exclude),
    el('div.checks', {},
      el('div.check', { dataset: { field: '/crawl/assets' } }, assets, el('label', { for: 'crawl-assets' }, 'Also download assets (images, scripts, styles)')),
      el('div.check', { dataset: { field: '/crawl/robots' } }, robots, el('label', { for: 'crawl-robots' }, 'Obey robots.txt'))));

  const form = el('form.submit-form', { novalidate: true },
    summary,
    el('fieldset.type', {}, el('legend', {}, 'Job type'),
      el('div.radios', {},
        el('span.radio', {}, download, el('label', { for: 'type-download' }, 'Download: fetch each URL')),
        el('span.radio', {}, crawl, el('label', { for: 'type-crawl' }, 'Crawl: follow links from the seeds'))),
      typeError),
    field('/urls', 'urls', 'URLs, one per line', urls, 'absolute http or https URLs'),
    el('details.limits', {}, el('summary', {}, 'Limits (optional; blank means the service default)'),
      el('div.grid', {}, LIMITS.map(([name, label, hint], i) => field(`/limits/${name}`, `limits-${name}`, label, limitInputs[i][1], hint)))),
    crawlSet,
    el('div.grid', {},
      field('/priority', 'priority', 'Priority', priority, 'higher runs first, -1000 to 1000'),
      field('/labels', 'labels', 'Labels (key=value, one per line)', labels)),
    el('div.actions', {}, submit),
    status);
  main.append(el('h1', {}, 'Submit a job'), form);

  const syncType = () => {
    crawlSet.disabled = !crawl.checked;
    crawlSet.hidden = !crawl.checked;
  };
  download.addEventListener('change', syncType);
  crawl.addEventListener('change', syncType);
  syncType();

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors();
    const { body, lines, local } = build();
    if (local.length) {
      showErrors(local, lines);
      return;
    }
    submit.disabled = true;
    status.textContent = 'Submitting…';
    try {
      const job = await jobsApi.submit(body);
      status.textContent = '';
      location.hash = `#/jobs/${encodeURIComponent(job.id)}`;
    } catch (e) {
      status.textContent = '';
      if (e instanceof ApiError) {
        const errors = e.fieldErrors.length ? e.fieldErrors : [{ field: '', message: e.message }];
        showErrors(errors, lines, e.problem.title);
      } else {
        showErrors([{ field: '', message: 'Could not reach fetchd.' }], lines);
      }
    } finally {
      submit.disabled = false;
    }
  });

  /** The request body from the form; lines maps a URL's index to its line in the text area. */
  const build = () => {
    const local = [];
    const lines = [];
    const urlList = [];
    urls.value.split('\n').forEach((line, n) => {
      if (line.trim()) {
        urlList.push(line.trim());
        lines.push(n + 1);
      }
    });
    const body = { type: crawl.checked ? 'crawl' : 'download', urls: urlList };
    const limits = {};
    for (const [name, input] of limitInputs) {
      if (input.value.trim()) {
        limits[name] = numeric(input.value);
      }
    }
    if (Object.keys(limits).length) {
      body.limits = limits;
    }
    if (crawl.checked) {
      const c = { scope: scope.value, assets: assets.checked, robots: robots.checked };
      if (maxDepth.value.trim()) c.maxDepth = numeric(maxDepth.value);
      if (maxPages.value.trim()) c.maxPages = numeric(maxPages.value);
      const inc = linesOf(include.value);
      const exc = linesOf(exclude.value);
      if (inc.length) c.include = inc;
      if (exc.length) c.exclude = exc;
      body.crawl = c;
    }
    if (priority.value.trim()) {
      body.priority = numeric(priority.value);
    }
    const labelMap = {};
    linesOf(labels.value).forEach((line, n) => {
      const eq = line.indexOf('=');
      if (eq <= 0) {
        local.push({ field: '/labels', message: `line ${n + 1} is not key=value: "${line}"` });
      } else {
        labelMap[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
      }
    });
    if (Object.keys(labelMap).length) {
      body.labels = labelMap;
    }
    return { body, lines, local };
  };

  const clearErrors = () => {
    summary.hidden = true;
    summary.replaceChildren();
    for (const { input, error } of fields.values()) {
      error.hidden = true;
      error.replaceChildren();
      input.removeAttribute('aria-invalid');
    }
  };

  /** Puts each error next to the field its pointer names (the longest known prefix), the rest in the summary. */
  const showErrors = (errors, lines, title) => {
    const list = el('ul');
    for (const { field: pointer, message } of errors) {
      const target = fieldFor(pointer);
      let text = message;
      const url = /^\/urls\/(\d+)/.exec(pointer || '');
      if (url && lines[Number(url[1])]) {
        text = `line ${lines[Number(url[1])]}: ${message}`;
      }
      if (target) {
        target.error.hidden = false;
        target.error.append(el('span', {}, text));
        target.input.setAttribute('aria-invalid', 'true');
        // a field in the folded limits must be seen to be fixed
        target.input.closest('details')?.setAttribute('open', '');
        list.append(el('li', {}, el('a', { href: `#${target.input.id}`, onclick: (ev) => {
          ev.preventDefault();
          target.input.focus();
        } }, `${pointer}: ${text}`)));
      } else {
        list.append(el('li', {}, pointer ? `${pointer}: ${text}` : text));
      }
    }
    summary.replaceChildren(el('h2', {}, title || 'The job was not submitted'), list);
    summary.hidden = false;
    summary.focus();
  };

  const fieldFor = (pointer) => {
    let p = pointer || '';
    while (p) {
      if (fields.has(p)) {
        return fields.get(p);
      }
      p = p.slice(0, p.lastIndexOf('/'));
    }
    return null;
  };
}

/** A number when the text is one, else the text itself: the service says what is wrong with it. */
function numeric(text) {
  const t = text.trim();
  return /^-?\d+$/.test(t) ? Number(t) : t;
}

function linesOf(text) {
  return text.split('\n').map((l) => l.trim()).filter(Boolean);
}
