// The oldest Node the runner supports, checked once when the CLI starts. Node 20's V8 lacks WebAssembly's
// extended-const, so every function behind a QuickJS component middleware failed there with "opcode i32.add is not
// allowed in constant expressions"; 22 and 24 are what the tests run (test/integration/node-versions.test.ts).
// package.json's engines.node says the same.
export const MIN_NODE_MAJOR = 22;

/** A sentence for the user when `version` (process.versions.node) is too old; undefined when it will do. */
export function nodeVersionProblem(version: string, execPath: string): string | undefined {
  const major = Number(version.split('.')[0]);
  if (major >= MIN_NODE_MAJOR) return undefined;
  return `open-runtime needs Node.js ${MIN_NODE_MAJOR} or newer; this is Node.js ${version} (${execPath}), whose WebAssembly lacks what component middlewares use. Install Node.js ${MIN_NODE_MAJOR} or 24 (nvm install 24, fnm install 24, or npm install -g node@24) and run it with that.`;
}
