// What the editor shows about capabilities: for a component file, each capability it imports and who serves it
// for each function running it (the component view), and the contents of the project's built-in key-value stores
// (the key-value browser). Read on request; nothing is kept.
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ComponentSettings, type FunctionSpec } from '../../../functions/model.ts';
import type { ComponentCapability, KeyValueListing } from '../../../protocol.ts';
import { readWorld } from '../world.ts';
import { capabilityOf, describeProviders, guestCapabilities, isGranted, type Capability } from './grants.ts';
import { sqlite } from './local-keyvalue.ts';

const NAMES: Record<Capability, string> = { keyValue: 'key-value', config: 'config', messaging: 'messaging' };

/** Each capability `wit` imports, per function whose Handler is `file`; "not granted" where none grants it. */
export function componentCapabilities(wit: string, file: string, functions: FunctionSpec[]): ComponentCapability[] {
  const needed = [
    ...new Set(
      readWorld(wit)
        .imports.map((i) => capabilityOf(i.name))
        .filter((c): c is Capability => !!c),
    ),
  ];
  if (!needed.length) return [];
  const running = functions.filter((f) => f.runtime === 'wasi' && resolve(f.codeUri, f.handler) === resolve(file));
  if (!running.length)
    return needed.map((capability) => ({ capability: NAMES[capability], name: '', provider: 'no function in the project runs this component' }));
  const rows: ComponentCapability[] = [];
  for (const fn of running) {
    const settings = ComponentSettings.parse(fn.component ?? {});
    let served: ReturnType<typeof describeProviders>;
    try {
      served = describeProviders(guestCapabilities(fn, settings));
    } catch (error) {
      rows.push({ function: fn.name, capability: 'config', name: '', provider: (error as Error).message });
      continue;
    }
    for (const capability of needed) {
      if (!isGranted(capability, settings)) {
        rows.push({ function: fn.name, capability: NAMES[capability], name: '', provider: 'not granted: the runner refuses the component at load' });
        continue;
      }
      for (const row of served.filter((r) => r.capability === capability))
        rows.push({ function: fn.name, capability: NAMES[capability], name: row.name, provider: row.provider });
    }
  }
  return rows;
}

const MAX_ENTRIES = 500;

/** The project's built-in stores (names), or one store's first entries, values shown as text when they are UTF-8. */
export function listKeyValue(projectDir: string, store: string | undefined): KeyValueListing {
  const dir = join(projectDir, '.open-runtime', 'keyvalue');
  const stores = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.sqlite'))
        .map((f) => decodeURIComponent(f.slice(0, -'.sqlite'.length)))
        .sort()
    : [];
  if (store === undefined) return { stores, entries: [], truncated: false };
  if (!stores.includes(store))
    throw new Error(
      `There is no built-in key-value store "${store}" in ${dir}; the stores are ${stores.join(', ') || 'none yet (a component creates one when it first opens it)'}.`,
    );
  const db = new (sqlite().DatabaseSync)(join(dir, `${encodeURIComponent(store)}.sqlite`), { readOnly: true });
  try {
    const rows = db.prepare('SELECT key, value FROM kv ORDER BY key LIMIT ?').all(MAX_ENTRIES + 1) as Array<{ key: string; value: Uint8Array }>;
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const entries = rows.slice(0, MAX_ENTRIES).map(({ key, value }) => {
      let text: string;
      try {
        text = decoder.decode(value);
      } catch {
        text = `base64:${Buffer.from(value).toString('base64')}`;
      }
      return { key, value: text, bytes: value.byteLength };
    });
    return { stores, store, entries, truncated: rows.length > MAX_ENTRIES };
  } finally {
    db.close();
  }
}
