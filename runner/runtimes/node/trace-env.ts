// _X_AMZN_TRACE_ID, set for every invocation as Lambda's Node runtime sets it (the X-Ray SDK and OpenTelemetry read
// it from process.env), without the C library's environment. In Node, assigning to process.env is setenv(3), and glibc
// keeps every value ever set (it cannot know whether someone still holds the old string): with a new trace id per
// invocation that is ~200 bytes of the process's heap per invoke that never come back, 20 MB over 100,000 invokes.
// So this one variable lives in JavaScript: process.env becomes a Proxy over the real environment that keeps only
// this name to itself. Reading, spreading, listing, deleting it and passing process.env to a child process work as
// before (a value is a string, as the real environment makes it); only native code calling getenv(3) does not see it.
const NAME = '_X_AMZN_TRACE_ID';

export interface TraceEnvironment {
  /** The trace id of the invocation starting, or undefined for none (the variable is then unset). */
  set(traceId: string | undefined): void;
}

export function installTraceEnvironment(owner: { env: NodeJS.ProcessEnv } = process): TraceEnvironment {
  const real = owner.env;
  // What the process started with moves to JavaScript: after this, the C environment's copy is stale.
  let value: string | undefined = real[NAME];
  if (value !== undefined) delete real[NAME];
  const own = (key: string | symbol) => key === NAME;
  owner.env = new Proxy(real, {
    get: (target, key) => (own(key) ? value : Reflect.get(target, key)),
    set: (target, key, next) => {
      if (!own(key)) return Reflect.set(target, key, next);
      value = String(next);
      return true;
    },
    has: (target, key) => (own(key) ? value !== undefined : Reflect.has(target, key)),
    deleteProperty: (target, key) => {
      if (!own(key)) return Reflect.deleteProperty(target, key);
      value = undefined;
      return true;
    },
    ownKeys: (target) => (value === undefined ? Reflect.ownKeys(target) : [...Reflect.ownKeys(target), NAME]),
    getOwnPropertyDescriptor: (target, key) =>
      own(key)
        ? value === undefined
          ? undefined
          : { value, writable: true, enumerable: true, configurable: true }
        : Reflect.getOwnPropertyDescriptor(target, key),
    defineProperty: (target, key, descriptor) => {
      if (!own(key)) return Reflect.defineProperty(target, key, descriptor);
      value = String(descriptor.value);
      return true;
    },
  });
  return {
    set(traceId) {
      value = traceId;
    },
  };
}
