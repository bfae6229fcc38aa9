// Server-Sent Events read with fetch(), because EventSource cannot send the Authorization header the
// API needs when it has tokens. Reconnects with Last-Event-ID until the job reaches a terminal state.

import { authorizedFetch } from './api.js';

const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'timed_out']);

/**
 * Follows /jobs/{id}/events. handlers: {progress(p), item(i), state(s), gone()}.
 * Returns a function that stops following.
 */
export function followJob(id, handlers) {
  const controller = new AbortController();
  let lastId = null;
  let finished = false;
  let retryMs = 500;

  const dispatch = (event, data) => {
    let value;
    try {
      value = JSON.parse(data);
    } catch {
      return;
    }
    if (event === 'state' && TERMINAL.has(value.state)) {
      finished = true;
    }
    handlers[event]?.(value);
  };

  const run = async () => {
    while (!finished && !controller.signal.aborted) {
      try {
        const headers = { Accept: 'text/event-stream' };
        if (lastId !== null) {
          headers['Last-Event-ID'] = lastId;
        }
        const res = await authorizedFetch(`/jobs/${encodeURIComponent(id)}/events`,
          { headers, signal: controller.signal, cache: 'no-store' });
        if (res.status === 404) {
          handlers.gone?.();
          return;
        }
        if (!res.ok || !res.body) {
          throw new Error(`HTTP ${res.status}`);
        }
        retryMs = 500;
        await readEvents(res.body, (event, data, eventId) => {
          if (eventId !== null) {
            lastId = eventId;
          }
          dispatch(event, data);
        });
      } catch (e) {
        if (controller.signal.aborted) {
          return;
        }
      }
      if (!finished && !controller.signal.aborted) {
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
