// Capabilities served by an executable provider (PROVIDERS.md), seen from the worker: each operation is one
// request through the main thread (host-call.ts), which owns the long-lived process. Bytes travel as base64 on
// the provider's line protocol; here they stay Uint8Array.
import type { ExecProvider, HostCall } from '../messages.ts';
import { callHost } from './host-call.ts';
import type { KeyValueBackend } from './guest-keyvalue.ts';
import { CapabilityError, keyValueError } from './keyvalue-error.ts';

/** One request to a provider; its answer's `result`, or a CapabilityError naming the provider. */
export function askProvider(
  provider: ExecProvider,
  capability: HostCall['capability'],
  op: string,
  args: Record<string, unknown>,
  timeoutMs: number,
): Record<string, unknown> {
  const answer = callHost({ provider, capability, op, args, timeoutMs: Math.min(provider.timeoutMs, timeoutMs) });
  if (answer.ok) return answer.result;
  const error = answer.error;
  const what = `the ${capability} provider \`${provider.name}\` failed ${op}: ${error}`;
  if (capability === 'keyvalue' && (error === 'no-such-store' || error === 'access-denied')) throw new CapabilityError(what, { tag: error });
  if (capability === 'keyvalue') throw keyValueError(what);
  if (capability === 'config') throw new CapabilityError(what, { tag: 'upstream', val: what });
  throw new CapabilityError(what, what);
}

const base64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
const bytesOf = (value: unknown): Uint8Array | undefined => (typeof value === 'string' ? new Uint8Array(Buffer.from(value, 'base64')) : undefined);

export function execKeyValue(provider: ExecProvider, store: string, timeoutMs: () => number): KeyValueBackend {
  const ask = (op: string, args: Record<string, unknown> = {}) => askProvider(provider, 'keyvalue', op, { store, ...args }, timeoutMs());
  const garbage = (op: string, field: string, value: unknown): never => {
    throw keyValueError(
      `the keyvalue provider \`${provider.name}\` answered ${op} with ${field} ${JSON.stringify(value)?.slice(0, 80)}, which is not what PROVIDERS.md says`,
    );
  };
  const optionalBytes = (op: string, value: unknown): Uint8Array | undefined => {
    if (value === null || value === undefined) return undefined;
    return bytesOf(value) ?? garbage(op, 'value', value);
  };
  return {
    get: (key) => optionalBytes('get', ask('get', { key }).value),
    set(key, value) {
      ask('set', { key, value: base64(value) });
    },
    delete(key) {
      ask('delete', { key });
    },
    exists(key) {
      const { exists } = ask('exists', { key });
      return typeof exists === 'boolean' ? exists : garbage('exists', 'exists', exists);
    },
    listKeys(cursor) {
      const result = ask('list-keys', cursor === undefined ? {} : { cursor });
      if (!Array.isArray(result.keys) || !result.keys.every((k) => typeof k === 'string')) return garbage('list-keys', 'keys', result.keys);
      const next = result.cursor;
      if (next !== null && next !== undefined && typeof next !== 'number') return garbage('list-keys', 'cursor', next);
      return next === null || next === undefined ? { keys: result.keys } : { keys: result.keys, cursor: next };
    },
    increment(key, delta) {
      const { value } = ask('increment', { key, delta: Number(delta) });
      return typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : garbage('increment', 'value', value);
    },
    getMany(keys) {
      const { values } = ask('get-many', { keys });
      if (!Array.isArray(values) || values.length !== keys.length) return garbage('get-many', 'values', values);
      return values.map((v) => optionalBytes('get-many', v));
    },
    setMany(entries) {
      ask('set-many', { entries: entries.map(([k, v]) => [k, base64(v)]) });
    },
    deleteMany(keys) {
      ask('delete-many', { keys });
    },
  };
}
