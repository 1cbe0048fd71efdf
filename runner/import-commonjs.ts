// A CommonJS package's exports through `import()`, the same from source and from the packaged bundle. Node gives a
// CommonJS module's named exports (found by its lexer) and `default` (module.exports); a bundle chunk made for a
// dynamic import of CommonJS code (scripts/build.ts --package, code splitting) has only `default`. Use it for
// packages with no ES module build (undici, cloudevents); ES module packages are imported as they are.
export async function importCommonJs<T extends object>(loading: Promise<T>): Promise<T> {
  const loaded = (await loading) as T & { default?: unknown };
  return loaded.default && typeof loaded.default === 'object' ? (loaded.default as T) : loaded;
}
