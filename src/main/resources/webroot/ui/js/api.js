// The API client: every call goes through here, with the tab's token when there is one.
// A 401 asks the user for a token (see token.js) and retries once it is given.

import { askToken, token } from './token.js';

/** An answer that is not 2xx, with its problem document (RFC 9457) when the service sent one. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
  /** The field errors of a refused request: [{field, message}]. */
  get fieldErrors() {
    return Array.isArray(this.problem.errors) ? this.problem.errors : [];
  }
}

export function authHeaders(extra = {}) {
  const t = token();
  return t ? { ...extra, Authorization: `Bearer ${t}` } : extra;
}

/**
 * fetch() with the token; on 401 asks for a token and tries again (until the user gives a valid one).
 * Other answers come back as they are.
 */
export async function authorizedFetch(path, init = {}) {
  for (;;) {
    const res = await fetch(path, { ...init, headers: authHeaders(init.headers) });
    if (res.status !== 401) {
      return res;
    }
    const problem = await readProblem(res);
    await askToken(token() ? 'That token is not valid here. Enter another one.' : problem.detail);
  }
}

async function readProblem(res) {
  const type = res.headers.get('Content-Type') || '';
  if (type.includes('json')) {
    try {
      return await res.json();
    } catch {
      return {};
    }
  }
  return {};
}

/** A JSON call; throws ApiError for an answer that is not 2xx. */
export async function api(path, { method = 'GET', body, signal } = {}) {
  const init = { method, signal, headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  const res = await authorizedFetch(path, init);
  if (!res.ok) {
    throw new ApiError(res.status, await readProblem(res));
  }
  return res.json();
}

export const jobsApi = {
  list: ({ state, cursor, limit }, signal) => api(`/jobs?${query({ state, cursor, limit })}`, { signal }),
  get: (id, signal) => api(`/jobs/${encodeURIComponent(id)}`, { signal }),
  items: (id, { state, cursor, limit }, signal) =>
    api(`/jobs/${encodeURIComponent(id)}/items?${query({ state, cursor, limit })}`, { signal }),
  submit: (body) => api('/jobs', { method: 'POST', body }),
  cancel: (id) => api(`/jobs/${encodeURIComponent(id)}`, { method: 'DELETE' }),
};

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') {
      q.set(k, v);
    }
  }
  return q.toString();
}
