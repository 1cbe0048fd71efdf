// wasi:keyvalue@0.2.0-draft (store, atomics, batch) for one component instance: `open(name)` finds the store the
// function was granted under that name, and each bucket method goes to the store's backend, built in (SQLite,
// local-keyvalue.ts) or an executable provider (exec-backends.ts). A backend's failure reaches the guest as the
// interface's `error` variant, and the invocation's log says which provider failed and why.
import type { GuestCapabilities } from '../messages.ts';
import { CapabilityError, keyValueError, noSuchStore } from './keyvalue-error.ts';
import { localKeyValue } from './local-keyvalue.ts';
import { execKeyValue } from './exec-backends.ts';

/** One store, synchronously (guest imports are). Bytes in, bytes out; a failure throws a CapabilityError. */
export interface KeyValueBackend {
  get(key: string): Uint8Array | undefined;
  set(key: string, value: Uint8Array): void;
  delete(key: string): void;
  exists(key: string): boolean;
  /** A page of keys from `cursor` (an offset), and where the next page starts. */
  listKeys(cursor: number | undefined): { keys: string[]; cursor?: number };
  /** Adds `delta` to the decimal number stored at `key` (absent counts as 0); the new value. */
  increment(key: string, delta: bigint): bigint;
  getMany(keys: string[]): Array<Uint8Array | undefined>;
  setMany(entries: Array<[string, Uint8Array]>): void;
  deleteMany(keys: string[]): void;
}

export const KEYVALUE_VERSION = '0.2.0-draft';

/** The import object entries for wasi:keyvalue; `notice` writes a line to the invocation's log. */
export function guestKeyValue(stores: GuestCapabilities['keyValue'], timeoutMs: () => number, notice: (line: string) => void): Record<string, unknown> {
  const backends = new Map<string, KeyValueBackend>();
  const backendOf = (name: string): KeyValueBackend => {
    let backend = backends.get(name);
    if (!backend) {
      const spec = stores[name]!;
      backend = spec.kind === 'local' ? localKeyValue(spec.file) : execKeyValue(spec, name, timeoutMs);
      backends.set(name, backend);
    }
    return backend;
  };
  /** Runs one operation; a failure is logged (once per call) and thrown to the guest as the error variant. */
  const run = <T>(store: string, op: string, body: (backend: KeyValueBackend) => T): T => {
    try {
      return body(backendOf(store));
    } catch (error) {
      const failure = error instanceof CapabilityError ? error : keyValueError(error instanceof Error ? error.message : String(error));
      notice(`Open Runtime: wasi:keyvalue ${op} on store "${store}" failed: ${failure.message}`);
      throw failure;
    }
  };

  class Bucket {
    readonly store: string;
    constructor(store: string) {
      this.store = store;
    }
    get(key: string): Uint8Array | undefined {
      return run(this.store, 'get', (b) => b.get(key));
    }
    set(key: string, value: Uint8Array): void {
      run(this.store, 'set', (b) => b.set(key, value));
    }
    delete(key: string): void {
      run(this.store, 'delete', (b) => b.delete(key));
    }
    exists(key: string): boolean {
      return run(this.store, 'exists', (b) => b.exists(key));
    }
    listKeys(cursor: bigint | undefined): { keys: string[]; cursor: bigint | undefined } {
      const page = run(this.store, 'list-keys', (b) => b.listKeys(cursor === undefined ? undefined : Number(cursor)));
      return { keys: page.keys, cursor: page.cursor === undefined ? undefined : BigInt(page.cursor) };
    }
  }

  const store = {
    Bucket,
    open(identifier: string): Bucket {
      if (!Object.hasOwn(stores, identifier)) {
        const granted = Object.keys(stores);
        notice(
          `Open Runtime: the component opened key-value store "${identifier}", which the function was not granted (${granted.length ? `granted: ${granted.join(', ')}` : 'it has none'}). Add it under Metadata.OpenRuntime.component.keyValue.`,
        );
        throw noSuchStore(identifier);
      }
      return new Bucket(identifier);
    },
  };
  const atomics = {
    increment(bucket: Bucket, key: string, delta: bigint): bigint {
      return run(bucket.store, 'increment', (b) => b.increment(key, delta));
    },
  };
  const batch = {
    getMany(bucket: Bucket, keys: string[]): Array<[string, Uint8Array] | undefined> {
      const values = run(bucket.store, 'get-many', (b) => b.getMany(keys));
      return keys.map((key, i) => (values[i] === undefined ? undefined : [key, values[i]!]));
    },
    setMany(bucket: Bucket, entries: Array<[string, Uint8Array]>): void {
      run(bucket.store, 'set-many', (b) => b.setMany(entries));
    },
    deleteMany(bucket: Bucket, keys: string[]): void {
      run(bucket.store, 'delete-many', (b) => b.deleteMany(keys));
    },
  };
  return { 'wasi:keyvalue/store': store, 'wasi:keyvalue/atomics': atomics, 'wasi:keyvalue/batch': batch };
}
