// Server-Sent Events read with fetch(), because EventSource cannot send the Authorization header the
// API needs when it has tokens. A stream cut short is opened again (with Last-Event-ID, backing off)
// until what it follows has ended.

import { authorizedFetch } from './api.js';

const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'timed_out']);

/**
 * Follows /jobs/{id}/events. handlers: {progress(p), item(i), state(s), gone()}.
 * Returns a function that stops following.
 */
export function followJob(id, handlers) {
  let finished = false;
  return follow(`/jobs/${encodeURIComponent(id)}/events`, {
    event: (event, value) => {
      if (event === 'state' && TERMINAL.has(value.state)) {
        finished = true;
      }
      handlers[event]?.(value);
    },
    done: () => finished,
    gone: () => handlers.gone?.(),
  });
}

/**
 * Follows many jobs on one connection: /events?jobs=id,id,... (at most 100). handlers: {progress(id, p),
 * state(id, s), missing(id), gone()}; a job is done after its terminal state or missing; gone() when the
 * service refuses the stream for good (a replica without /events, say), so the caller can fall back. Returns a
 * function that stops following.
 */
export function followJobs(ids, handlers) {
  const open = new Set(ids);
  return follow(`/events?jobs=${ids.map(encodeURIComponent).join(',')}`, {
    event: (event, value) => {
      const id = value.jobId;
      if (event === 'progress') {
        handlers.progress?.(id, value.progress);
      } else if (event === 'state') {
        if (TERMINAL.has(value.state)) {
          open.delete(id);
        }
        handlers.state?.(id, value);
      } else if (event === 'missing') {
        open.delete(id);
        handlers.missing?.(id);
      }
    },
    done: () => open.size === 0,
    gone: () => handlers.gone?.(),
    refused: () => handlers.gone?.(),
  });
}

/**
 * Reads the event stream at path until done() or stop: each event's JSON data goes to event(name, value).
 * A 404 calls gone(); another refusal (4xx) calls refused() and ends it too, as asking again would not change
 * the answer.
 */
function follow(path, { event, done, gone, refused }) {
  const controller = new AbortController();
  let lastId = null;
  let retryMs = 500;

  const run = async () => {
    while (!done() && !controller.signal.aborted) {
      try {
        const headers = { Accept: 'text/event-stream' };
        if (lastId !== null) {
          headers['Last-Event-ID'] = lastId;
        }
        const res = await authorizedFetch(path, { headers, signal: controller.signal, cache: 'no-store' });
        if (res.status === 404) {
          gone?.();
          return;
        }
        if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
          refused?.(res.status);
          return;
        }
        if (!res.ok || !res.body) {
          throw new Error(`HTTP ${res.status}`);
        }
        retryMs = 500;
        await readEvents(res.body, (name, data, eventId) => {
          if (eventId !== null) {
            lastId = eventId;
          }
          let value;
          try {
            value = JSON.parse(data);
          } catch {
            return;
          }
          event(name, value);
        });
      } catch (e) {
        if (controller.signal.aborted) {
          return;
        }
      }
      if (!done() && !controller.signal.aborted) {
        await new Promise((r) => setTimeout(r, retryMs));
        retryMs = Math.min(retryMs * 2, 10_000);
      }
    }
  };
  run();
  return () => controller.abort();
}

/** Parses an event stream (the text/event-stream format) and calls onEvent(event, data, id) per event. */
export async function readEvents(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let event = 'message';
  let data = [];
  let id = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      return;
    }
    buffer += value;
    let nl;
    while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
      if (line === '') {
        if (data.length) {
          onEvent(event, data.join('\n'), id);
        }
        event = 'message';
        data = [];
        id = null;
        continue;
      }
      if (line.startsWith(':')) {
        continue; // a keep-alive comment
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let val = colon < 0 ? '' : line.slice(colon + 1);
      if (val.startsWith(' ')) {
        val = val.slice(1);
      }
      if (field === 'event') {
        event = val;
      } else if (field === 'data') {
        data.push(val);
      } else if (field === 'id') {
        id = val;
      }
    }
  }
}
