// The dashboard's entry: a hash router over three views. Each view gets a fresh <main> content and an
// AbortSignal that ends its requests and event streams when the user moves on.

import { forgetToken, updateForgetButton } from './token.js';
import { renderJobs } from './jobs.js';
import { renderJob } from './job.js';
import { renderSubmit } from './submit.js';

let current = null;

function route() {
  current?.abort();
  current = new AbortController();
  const main = document.getElementById('main');
  main.replaceChildren();
  const hash = location.hash.replace(/^#/, '') || '/jobs';
  const [path, qs] = hash.split('?');
  const params = new URLSearchParams(qs || '');
  let view = 'jobs';
  let m;
  if ((m = path.match(/^\/jobs\/(.+)$/))) {
    view = 'job';
    renderJob(main, decodeURIComponent(m[1]), params, current.signal);
  } else if (path === '/submit') {
    view = 'submit';
    renderSubmit(main, current.signal);
  } else {
    renderJobs(main, params, current.signal);
  }
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === view) {
      a.setAttribute('aria-current', 'page');
    } else {
      a.removeAttribute('aria-current');
    }
  }
}

window.addEventListener('hashchange', () => {
  route();
  // move focus to the new content, as a page load would
  document.getElementById('main').focus({ preventScroll: true });
});
document.getElementById('forget-token').addEventListener('click', () => {
  forgetToken();
  route();
});
// the skip link focuses the content without touching the hash (the hash is the router's)
document.querySelector('.skip').addEventListener('click', (ev) => {
  ev.preventDefault();
  document.getElementById('main').focus();
});
updateForgetButton();
route();
