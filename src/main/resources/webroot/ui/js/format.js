// Small formatting helpers and a DOM builder.

export function bytes(n) {
  if (n === null || n === undefined) {
    return '–';
  }
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? Math.round(v) : v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

export function duration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) {
    return '–';
  }
  if (ms < 1000) {
    return `${Math.round(ms)} ms`;
  }
  const s = ms / 1000;
  if (s < 60) {
    return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  }
  const m = Math.floor(s / 60);
  if (m < 60) {
    return `${m} min ${Math.round(s % 60)} s`;
  }
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function time(iso) {
  if (!iso) {
    return '–';
  }
  const d = new Date(iso);
  return d.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

export function number(n) {
  return (n ?? 0).toLocaleString();
}

export const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'timed_out']);

/**
 * el('tag.class', {attr: value, onclick: fn}, ...children): children are nodes or text (never HTML), so
 * whatever a target or a user put in a URL or label is shown as text.
 */
export function el(spec, attrs = {}, ...children) {
  const [tag, ...classes] = spec.split('.');
  const node = document.createElement(tag);
  if (classes.length) {
    node.className = classes.join(' ');
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) {
      continue;
    }
    if (k.startsWith('on') && typeof v === 'function') {
      node.addEventListener(k.slice(2), v);
    } else if (k === 'dataset') {
      Object.assign(node.dataset, v);
    } else if (v === true) {
      node.setAttribute(k, '');
    } else {
      node.setAttribute(k, String(v));
    }
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) {
      continue;
    }
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** Announces a sentence to screen readers (one polite live region for the page). */
export function announce(text) {
  const region = document.getElementById('announce');
  region.textContent = '';
  // a new text node after a tick, so the same sentence twice is read twice
  setTimeout(() => { region.textContent = text; }, 50);
}
