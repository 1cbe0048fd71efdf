// What a component imports and exports (read from its WIT), and whether a function may run it: the export
// its world needs must be there, and every import must be something the function was granted. Refusing at
// load time names the import; a guest that only found out at run time would fail somewhere in the middle.
import type { ComponentSettings } from '../../functions/model.ts';
import { RUNTIME_IMPORT_NOT_GRANTED, RUNTIME_INVALID_ENTRYPOINT } from '../../lambda-errors.ts';
import { CAPABILITY_IMPORTS, capabilityOf, isGranted } from './capabilities/grants.ts';

type Grants = Partial<Pick<ComponentSettings, 'keyValue' | 'config' | 'messaging'>>;

export interface WorldItem {
  /** `wasi:io/poll` for an interface (without the version), the plain name for a function or inline interface. */
  name: string;
  version?: string;
  kind: 'interface' | 'func' | 'inline';
}

export interface ComponentWorld {
  imports: WorldItem[];
  exports: WorldItem[];
}

export const HANDLER_INTERFACE = 'open-runtime:lambda/handler';
export const HANDLER_VERSION = '0.1.0';
export const HTTP_INTERFACE = 'wasi:http/incoming-handler';

/** Reads the top-level imports and exports of `wasm-tools component wit` output. */
export function readWorld(wit: string): ComponentWorld {
  const world: ComponentWorld = { imports: [], exports: [] };
  let depth = 0;
  let inWorld = false;
  for (const raw of wit.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (!inWorld) {
      if (/^world\s+[%\w-]+\s*\{/.test(line)) {
        inWorld = true;
        depth = 1;
      }
      continue;
    }
    if (depth === 1) {
      const item = /^(import|export)\s+(.+)$/.exec(line);
      if (item) (item[1] === 'import' ? world.imports : world.exports).push(readItem(item[2]!));
    }
    depth += count(line, '{') - count(line, '}');
    if (depth <= 0) break;
  }
  return world;
}

function readItem(text: string): WorldItem {
  const qualified = /^([%\w-]+:[%\w-]+(?::[%\w-]+)*\/[%\w-]+)(?:@([\w.+-]+))?\s*;/.exec(text);
  if (qualified) return { name: qualified[1]!, version: qualified[2], kind: 'interface' };
  const named = /^%?([\w-]+)\s*:\s*(func|interface)?/.exec(text);
  if (named) return { name: named[1]!, kind: named[2] === 'interface' ? 'inline' : 'func' };
  return { name: text.replace(/;$/, ''), kind: 'interface' };
}

function count(text: string, char: string): number {
  let n = 0;
  for (const c of text) if (c === char) n++;
  return n;
}

export function itemText(item: WorldItem): string {
  return item.version ? `${item.name}@${item.version}` : item.name;
}

/** WASI interfaces every function may import: the guest sees only what its settings give it. */
const ALWAYS_GRANTED = new Set([
  'wasi:io/error',
  'wasi:io/poll',
  'wasi:io/streams',
  'wasi:clocks/monotonic-clock',
  'wasi:clocks/wall-clock',
  'wasi:random/random',
  'wasi:random/insecure',
  'wasi:random/insecure-seed',
  'wasi:cli/environment', // the function's Environment variables only
  'wasi:cli/exit', // ends the invocation with an error, never the runner
  'wasi:cli/stdin', // empty
  'wasi:cli/stdout', // the invocation's logs
  'wasi:cli/stderr',
  'wasi:cli/terminal-input',
  'wasi:cli/terminal-output',
  'wasi:cli/terminal-stdin',
  'wasi:cli/terminal-stdout',
  'wasi:cli/terminal-stderr',
  'wasi:filesystem/types', // only the preopened directories are visible; none by default
  'wasi:filesystem/preopens',
  'wasi:http/types', // data types; making requests is wasi:http/outgoing-handler
  'open-runtime:lambda/types',
]);

export type ComponentCheck =
  | { ok: true; exportName: string }
  | { ok: false; errorType: typeof RUNTIME_INVALID_ENTRYPOINT | typeof RUNTIME_IMPORT_NOT_GRANTED; errorMessage: string };

/** Whether `fn` may run a component with this world, and which export serves its invocations. */
export function checkComponent(world: ComponentWorld, settings: Pick<ComponentSettings, 'world' | 'allowedHosts'> & Grants, where: string): ComponentCheck {
  const exported = checkExports(world, settings.world, where);
  if (!exported.ok) return exported;
  for (const item of world.imports) {
    const refusal = refuseImport(item, settings);
    if (refusal) {
      return {
        ok: false,
        errorType: RUNTIME_IMPORT_NOT_GRANTED,
        errorMessage: `${where} imports ${itemText(item)}, which the function was not granted: ${refusal}`,
      };
    }
  }
  return exported;
}

function checkExports(world: ComponentWorld, wanted: 'handler' | 'http', where: string): ComponentCheck {
  const handler = world.exports.find((e) => e.name === HANDLER_INTERFACE);
  const http = world.exports.find((e) => e.name === HTTP_INTERFACE);
  const invalid = (errorMessage: string): ComponentCheck => ({ ok: false, errorType: RUNTIME_INVALID_ENTRYPOINT, errorMessage });
  if (wanted === 'handler') {
    if (handler) {
      if (!sameMinor(handler.version, HANDLER_VERSION)) {
        return invalid(
          `${where} exports ${itemText(handler)}, but this runner speaks ${HANDLER_INTERFACE}@${HANDLER_VERSION}. Rebuild it against the project's wit/lambda.wit (world "function").`,
        );
      }
      return { ok: true, exportName: itemText(handler) };
    }
    if (http) {
      return invalid(
        `${where} is a wasi:http component (it exports ${itemText(http)}), but the function uses the handler world. Set "world: http" under Metadata.OpenRuntime.component so API Gateway and Function URL events reach it as HTTP requests.`,
      );
    }
    return invalid(
      `${where} does not export ${HANDLER_INTERFACE}@${HANDLER_VERSION}; it exports ${describeExports(world)}. Build it for the world "function" in the project's wit/lambda.wit.`,
    );
  }
  if (http) {
    if (!http.version?.startsWith('0.2.')) {
      return invalid(`${where} exports ${itemText(http)}; this runner serves wasi:http 0.2.x components. Rebuild it for WASI 0.2.`);
    }
    return { ok: true, exportName: itemText(http) };
  }
  if (handler) {
    return invalid(
      `${where} is a handler-world component (it exports ${itemText(handler)}), but the function uses the http world. Remove "world: http" from Metadata.OpenRuntime.component, or build the component for wasi:http.`,
    );
  }
  return invalid(
    `${where} does not export ${HTTP_INTERFACE}; it exports ${describeExports(world)}. Build it for the world "http-function" in the project's wit/lambda.wit (or any wasi:http/proxy world).`,
  );
}

function describeExports(world: ComponentWorld): string {
  if (!world.exports.length) return 'nothing';
  const names = world.exports.map((e) => (e.kind === 'func' ? `the function "${e.name}"` : itemText(e)));
  if (world.exports.some((e) => e.name === 'wasi:cli/run')) names.push('(a command: it runs main() once, it has no handler)');
  return names.join(', ');
}

/** Why an import can't be granted, or undefined when it can. */
function refuseImport(item: WorldItem, settings: Pick<ComponentSettings, 'allowedHosts'> & Grants): string | undefined {
  if (item.kind !== 'interface') {
    return "Open Runtime provides WASI 0.2 interfaces only, not bare function or inline interface imports. Remove the import from the component's world.";
  }
  const capability = capabilityOf(item.name);
  if (capability) {
    const { version, setting } = CAPABILITY_IMPORTS[capability];
    if (item.version !== version) {
      return `this runner serves ${item.name.replace(/\/.*$/, '')}@${version}, and the component was built for ${item.version ?? 'no version'}. Rebuild it against the project's wit/deps (open-runtime build).`;
    }
    if (isGranted(capability, settings)) return undefined;
    return `grant it in the template: add "${setting}" under Metadata.OpenRuntime.component (the built-in providers need nothing else; see PROVIDERS.md for your own).`;
  }
  if (item.name.startsWith('wasi:') && item.version && !item.version.startsWith('0.2.')) {
    return `this runner serves WASI 0.2 components, and this is WASI ${item.version}. Rebuild the component for WASI 0.2.`;
  }
  if (ALWAYS_GRANTED.has(item.name)) return undefined;
  if (item.name === 'wasi:http/outgoing-handler') {
    if (settings.allowedHosts.length) return undefined;
    return 'it makes outgoing HTTP requests, and the function allows no hosts. List the hosts it may call under Metadata.OpenRuntime.component.allowedHosts (e.g. [api.example.com]), or build it without outgoing HTTP (componentize-js: disable the "http" feature).';
  }
  if (item.name.startsWith('wasi:sockets/')) {
    return 'raw network sockets are not available to components; outgoing HTTP (wasi:http/outgoing-handler with allowedHosts) is.';
  }
  return 'Open Runtime does not provide it. A component may import WASI 0.2 (io, clocks, random, cli, filesystem, http), and the capabilities granted in the template: wasi:keyvalue, wasi:config and wasmcloud:messaging.';
}

export const MIDDLEWARE_TYPES = 'open-runtime:middleware/types';
export const MIDDLEWARE_VERSION = '0.1.0';
/** The hooks of the middleware world, by export name, with the name the transpiled component gives each. */
export const MIDDLEWARE_EXPORTS = { before: 'before', after: 'after', 'on-error': 'onError' } as const;

/**
 * Whether a component is a middleware of wit/middleware/middleware.wit that the runner may run. A middleware is
 * granted less than a function: the function's environment variables, stdout/stderr, clocks and random; no
 * files, no network.
 */
export function checkMiddlewareComponent(
  world: ComponentWorld,
  where: string,
  grants: Grants = {},
): { ok: true } | { ok: false; errorType: typeof RUNTIME_INVALID_ENTRYPOINT | typeof RUNTIME_IMPORT_NOT_GRANTED; errorMessage: string } {
  const missing = Object.keys(MIDDLEWARE_EXPORTS).filter((hook) => !world.exports.some((e) => e.kind === 'func' && e.name === hook));
  if (missing.length) {
    const handler = world.exports.find((e) => e.name === HANDLER_INTERFACE || e.name === HTTP_INTERFACE);
    const what = handler
      ? `is a function component (it exports ${itemText(handler)}), not a middleware`
      : `does not export ${missing.join(', ')}; it exports ${describeExports(world)}`;
    return {
      ok: false,
      errorType: RUNTIME_INVALID_ENTRYPOINT,
      errorMessage: `${where} ${what}. Build it for the world "middleware" in the project's wit/middleware/middleware.wit (exports before, after and on-error).`,
    };
  }
  for (const item of world.imports) {
    const refusal = refuseMiddlewareImport(item, grants);
    if (refusal) {
      return {
        ok: false,
        errorType: RUNTIME_IMPORT_NOT_GRANTED,
        errorMessage: `${where} imports ${itemText(item)}, which a component middleware is not granted: ${refusal}`,
      };
    }
  }
  return { ok: true };
}

function refuseMiddlewareImport(item: WorldItem, grants: Grants): string | undefined {
  if (item.name === MIDDLEWARE_TYPES) {
    return sameMinor(item.version, MIDDLEWARE_VERSION)
      ? undefined
      : `this runner speaks ${MIDDLEWARE_TYPES}@${MIDDLEWARE_VERSION}. Rebuild it against the project's wit/middleware/middleware.wit.`;
  }
  if (item.name === 'wasi:http/outgoing-handler' || item.name.startsWith('wasi:sockets/')) {
    return 'a middleware gets no network. Make the call in the function, or use an executable middleware (runner/middleware/PROTOCOL.md) for work that needs it.';
  }
  const capability = capabilityOf(item.name);
  if (capability && item.version === CAPABILITY_IMPORTS[capability].version && !isGranted(capability, grants)) {
    return `grant it in the middleware's manifest (middlewares/<name>.json) under "capabilities", with the settings a component function takes (${CAPABILITY_IMPORTS[capability].setting}; PROVIDERS.md).`;
  }
  return refuseImport(item, { allowedHosts: [], ...grants });
}

function sameMinor(version: string | undefined, wanted: string): boolean {
  if (!version) return false;
  const [a, b] = [version.split('.'), wanted.split('.')];
  return a[0] === b[0] && a[1] === b[1];
}
