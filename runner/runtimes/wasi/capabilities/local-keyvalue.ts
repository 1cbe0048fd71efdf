// The built-in key-value provider: one SQLite file per store under the project's .open-runtime/keyvalue/
// (node:sqlite, synchronous, so a guest's call is answered on the worker's own thread in microseconds). Every
// worker opens the file itself; WAL and a busy timeout let them and the editor's key-value browser share it.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { KeyValueBackend } from './guest-keyvalue.ts';
import { keyValueError } from './keyvalue-error.ts';

const PAGE = 1000;

/**
 * node:sqlite, loaded when a store is first opened: a static import would be hoisted to the top of the runner's
 * bundle, and every command would then need it at start (on an older Node the CLI could not even say which it needs).
 */
export function sqlite(): typeof import('node:sqlite') {
  return process.getBuiltinModule('node:sqlite') as typeof import('node:sqlite');
}
const opened = new Map<string, KeyValueBackend>();

/** Opens (creating) the store's file and its one table. */
export function openStoreDatabase(file: string): DatabaseSync {
  mkdirSync(dirname(file), { recursive: true });
  const db = new (sqlite().DatabaseSync)(file);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
  db.exec('CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID');
  return db;
}

export function localKeyValue(file: string): KeyValueBackend {
  const known = opened.get(file);
  if (known) return known;
  let db: DatabaseSync;
  try {
    db = openStoreDatabase(file);
  } catch (error) {
    throw keyValueError(`the built-in store could not open ${file}: ${(error as Error).message}`);
  }
  const statement = (sql: string): StatementSync => db.prepare(sql);
  const get = statement('SELECT value FROM kv WHERE key = ?');
  const set = statement('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
  const remove = statement('DELETE FROM kv WHERE key = ?');
  const list = statement('SELECT key FROM kv ORDER BY key LIMIT ? OFFSET ?');
  const valueOf = (key: string): Uint8Array | undefined => {
    const row = get.get(key) as { value: Uint8Array } | undefined;
    return row?.value;
  };
  const inTransaction = <T>(body: () => T): T => {
    db.exec('BEGIN IMMEDIATE');
    try {
      const result = body();
      db.exec('COMMIT');
      return result;
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  };
  const backend: KeyValueBackend = {
    get: valueOf,
    set(key, value) {
      set.run(key, value);
    },
    delete(key) {
      remove.run(key);
    },
    exists: (key) => valueOf(key) !== undefined,
    listKeys(cursor) {
      const offset = cursor ?? 0;
      const keys = (list.all(PAGE, offset) as Array<{ key: string }>).map((r) => r.key);
      return keys.length === PAGE ? { keys, cursor: offset + PAGE } : { keys };
    },
    increment(key, delta) {
      return inTransaction(() => {
        const now = valueOf(key);
        const text = now === undefined ? '0' : Buffer.from(now).toString('utf8');
        if (!/^\d+$/.test(text))
          throw keyValueError(`the value of "${key}" is not a number (${JSON.stringify(text.slice(0, 40))}), so it cannot be incremented`);
        const next = BigInt(text) + delta;
        set.run(key, Buffer.from(next.toString(), 'utf8'));
        return next;
      });
    },
    getMany: (keys) => keys.map(valueOf),
    setMany(entries) {
      inTransaction(() => {
        for (const [key, value] of entries) set.run(key, value);
      });
    },
    deleteMany(keys) {
      inTransaction(() => {
        for (const key of keys) remove.run(key);
      });
    },
  };
  opened.set(file, backend);
  return backend;
}
