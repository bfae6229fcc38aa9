// A progress bar of a job: segments for succeeded, failed, skipped and running items, the share done,
// bytes and the rate (measured here from successive progress events).

import { bytes, el, number } from './format.js';

const SEGMENTS = ['succeeded', 'failed', 'skipped', 'cancelled', 'running'];

export class ProgressBar {
  /** large: the one-job view's bar, with a legend. */
  constructor({ large = false, label = 'Progress' } = {}) {
    this.segments = {};
    this.track = el('div.bar-track');
    for (const s of SEGMENTS) {
      this.segments[s] = el(`span.seg.seg-${s}`);
      this.track.append(this.segments[s]);
    }
    this.bar = el('div.bar', { role: 'progressbar', 'aria-label': label, 'aria-valuemin': 0 }, this.track);
    this.text = el('span.bar-text');
    this.rateText = el('span.bar-rate');
    this.legend = large ? el('ul.legend') : null;
    this.root = el(`div.progress${large ? '.large' : ''}`, {}, this.bar,
      el('div.bar-caption', {}, this.text, this.rateText), this.legend);
    this.samples = [];
  }

  /** Shows a progress object of the API; state says whether the job is still moving. */
  update(p, state) {
    const total = p.total || 0;
    const done = (p.succeeded || 0) + (p.failed || 0) + (p.skipped || 0) + (p.cancelled || 0);
    const finished = state && !['queued', 'running'].includes(state);
    const pct = total === 0 ? (finished ? 100 : 0) : Math.floor((done * 100) / total);
    for (const s of SEGMENTS) {
      const share = total === 0 ? 0 : ((p[s] || 0) * 100) / total;
      this.segments[s].style.width = `${share}%`;
    }
    this.bar.setAttribute('aria-valuemax', String(Math.max(total, 1)));
    this.bar.setAttribute('aria-valuenow', String(total === 0 && finished ? 1 : done));
    const parts = [`${pct}%`, `${number(done)} / ${number(total)}`];
    if (p.failed) {
      parts.push(`${number(p.failed)} failed`);
    }
    if (p.skipped) {
      parts.push(`${number(p.skipped)} skipped`);
    }
    if (p.unchanged) {
      parts.push(`${number(p.unchanged)} unchanged`); // a recrawl: succeeded with a 304, the earlier body kept
    }
    parts.push(bytes(p.bytes));
    this.text.textContent = parts.join(' · ');
    this.bar.setAttribute('aria-valuetext', `${pct}% done: ${parts.slice(1).join(', ')}`);
    this.bar.dataset.percent = String(pct);
    this.rateText.textContent = finished ? '' : this.rate(p);
    if (this.legend) {
      this.legend.replaceChildren(...SEGMENTS.concat('queued').map((s) =>
        el('li', {}, el(`span.swatch.seg-${s}`, { 'aria-hidden': 'true' }), `${s} ${number(p[s] || 0)}`)));
    }
    this.pct = pct;
  }

  /** Bytes and items per second over the last ten seconds of updates. */
  rate(p) {
    const now = performance.now();
    const done = (p.succeeded || 0) + (p.failed || 0) + (p.skipped || 0);
    this.samples.push({ t: now, bytes: p.bytes || 0, done });
    while (this.samples.length > 2 && now - this.samples[0].t > 10_000) {
      this.samples.shift();
    }
    const first = this.samples[0];
    const dt = (now - first.t) / 1000;
    if (dt < 0.5) {
      return '';
    }
    const items = (done - first.done) / dt;
    return `${bytes((p.bytes - first.bytes) / dt)}/s · ${items.toFixed(items < 10 ? 1 : 0)} items/s`;
  }
}
