// Lambda's Node runtimes ship the AWS SDK v3: a function imports `@aws-sdk/client-lambda` without installing it,
// from CommonJS (NODE_PATH holds /var/runtime/node_modules) and from ES modules alike. The runner puts a folder
// holding the SDK packages it has itself on NODE_PATH (runtimes/spawn.ts); NODE_PATH serves `require`, and this
// hook serves `import`: a bare `@aws-sdk/*` specifier that the function's own node_modules cannot resolve is
// resolved from the NODE_PATH folders, as Lambda resolves it. The function's own copy always wins.
import * as moduleApi from 'node:module';
import type { ResolveHookContext } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const SDK = /^@aws-sdk\//;

type Resolved = { url: string; format?: string | null | undefined; shortCircuit?: boolean | undefined };
type NextResolve = (specifier: string, context?: Partial<ResolveHookContext>) => Resolved;

/** Parent URLs to resolve from: a file beside each NODE_PATH folder named node_modules, so that folder is searched. */
function sdkParents(nodePath: string | undefined): string[] {
  return (nodePath ?? '')
    .split(':')
    .filter((dir) => dir && basename(dir) === 'node_modules')
    .map((dir) => pathToFileURL(join(dirname(dir), 'open-runtime-sdk-resolver.mjs')).href);
}

function resolveSdk(specifier: string, context: ResolveHookContext, nextResolve: NextResolve, parents: string[]): Resolved {
  try {
    return nextResolve(specifier, context);
  } catch (error) {
    if (!SDK.test(specifier) || (error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    for (const parentURL of parents) {
      try {
        return nextResolve(specifier, { ...context, parentURL });
      } catch {
        // not in this folder
      }
    }
    throw error;
  }
}

/**
 * Installs the hook for ES modules: in-thread where Node has module.registerHooks (22.15+), else as a loader thread,
 * which costs ~30 ms of cold start, so only for a handler that is an ES module (`require` needs no hook).
 */
export function resolveAwsSdkFromNodePath(env: NodeJS.ProcessEnv, handlerIsEsm: () => boolean): void {
  const parents = sdkParents(env.NODE_PATH);
  if (!parents.length) return;
  const nodeModule = moduleApi as { registerHooks?: (hooks: object) => void; register?: (specifier: string) => void };
  if (typeof nodeModule.registerHooks === 'function') {
    nodeModule.registerHooks({ resolve: (specifier: string, context: ResolveHookContext, next: NextResolve) => resolveSdk(specifier, context, next, parents) });
    return;
  }
  if (typeof nodeModule.register !== 'function' || !handlerIsEsm()) return;
  // Node 20 and early 22: the same rule as an asynchronous loader (its own module, so given as a data: URL).
  const loader = `const parents = ${JSON.stringify(parents)};
export async function resolve(specifier, context, next) {
  try { return await next(specifier, context); } catch (error) {
    if (!/^@aws-sdk\\//.test(specifier) || error.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    for (const parentURL of parents) { try { return await next(specifier, { ...context, parentURL }); } catch {} }
    throw error;
  }
}`;
  nodeModule.register(`data:text/javascript,${encodeURIComponent(loader)}`);
}

/** Whether a handler's module is an ES module: compiled TypeScript (.mjs), .mjs, or .js under "type": "module". */
export function isEsmHandler(taskRoot: string, handlerSetting: string, compiledModule: string | undefined): boolean {
  if (compiledModule) return true;
  const modulePath = handlerSetting.slice(0, handlerSetting.lastIndexOf('.'));
  const base = join(taskRoot, modulePath);
  if (existsSync(`${base}.mjs`)) return true;
  if (!existsSync(`${base}.js`)) return false;
  for (let dir = dirname(base); ; dir = dirname(dir)) {
    try {
      return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).type === 'module';
    } catch {
      // no (readable) package.json here: look further up
    }
    if (dirname(dir) === dir) return false;
  }
}

/** The sentence added to "Cannot find package '@aws-sdk/x'": what Lambda would have had, and how to get it here. */
export function missingSdkAdvice(message: string, taskRoot: string): string | undefined {
  const name = /['"](@aws-sdk\/[a-z0-9-]+)/.exec(message)?.[1];
  if (!name) return undefined;
  return (
    `Lambda's Node runtime includes the AWS SDK v3, so ${name} works there without installing it; Open Runtime installs the SDK packages a function's ` +
    `own files import from the npm registry at its first cold start, and this one could not be (the runner's log says why: offline, or imported from a dependency). ` +
    `Install it for the function: cd ${taskRoot} && npm install ${name} (a dev dependency is enough if you deploy with Lambda's own copy).`
  );
}
