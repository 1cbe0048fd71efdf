// A JavaScript component using key-value and config (issue 20): counts the visits of the event's "name"
// (wasi:keyvalue atomics), remembers the last visitor and greets with the configured "greeting". In
// examples/template.yaml its store is served by the Python provider (examples/providers/kv_provider.py);
// switching it to the built-in SQLite store is a template change, no rebuild. Build: open-runtime build KvCounterJs.
import { open } from 'wasi:keyvalue/store@0.2.0-draft';
import { increment } from 'wasi:keyvalue/atomics@0.2.0-draft';
import { get as config } from 'wasi:config/store@0.2.0-draft';

export const handler = {
  handle(event) {
    const { name } = JSON.parse(event);
    if (!name) throw { errorType: 'MissingName', errorMessage: 'The event has no "name", e.g. {"name": "Ada"}.' };
    const store = open('default');
    const visits = increment(store, `visits:${name}`, 1n);
    const previous = store.get('last');
    store.set('last', new TextEncoder().encode(name));
    return JSON.stringify({
      message: `${config('greeting') ?? 'Hello'}, ${name}!`,
      visits: Number(visits),
      previous: previous ? new TextDecoder().decode(previous) : null,
    });
  },
};
