// How a failed capability call reaches the guest: jco's glue turns a thrown value with a `payload` into the
// `err` case of the import's result, so a store error becomes wasi:keyvalue's `error` variant (or config's).
/** Thrown by a key-value backend; `payload` is the WIT variant the guest receives. */
export class CapabilityError extends Error {
  readonly payload: unknown;
  constructor(message: string, payload: unknown) {
    super(message);
    this.payload = payload;
  }
}

/** wasi:keyvalue/store's `error::other(message)`. */
export function keyValueError(message: string): CapabilityError {
  return new CapabilityError(message, { tag: 'other', val: message });
}

export function noSuchStore(store: string): CapabilityError {
  return new CapabilityError(`no store ${store}`, { tag: 'no-such-store' });
}
