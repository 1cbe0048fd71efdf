// What the analysis knows about well-known middleware packages beyond their typings: a refinement of what the
// types say (middy-chains.ts reads roles and hooks from the declared MiddlewareObj type and from the value first).
// Middy's typings declare all three hooks as optional and most packages' event as `unknown`, so a package's role
// (what it does to the request, which the ordering rules reason about) and its hooks come from this table, and the
// hooks a package's middleware really has can depend on its options (validator({ responseSchema }) has only `after`).
import type { MiddlewareRole, MiddyHook } from './report.ts';

interface Known {
  role: MiddlewareRole;
  hooks: MiddyHook[];
  /** Hooks as the options object literal decides them: an option name present turns its hooks on. */
  hooksByOption?: { [option: string]: MiddyHook[] };
  /** An option that, set to `false`, turns every hook off (errorLogger({ logger: false })). */
  offWhenFalse?: string;
}

const KNOWN: Record<string, Known> = {
  '@middy/http-json-body-parser': { role: 'body-parser', hooks: ['before'] },
  '@middy/http-urlencode-body-parser': { role: 'body-parser', hooks: ['before'] },
  '@middy/http-multipart-body-parser': { role: 'body-parser', hooks: ['before'] },
  '@middy/validator': {
    role: 'validator',
    hooks: ['before', 'after'],
    hooksByOption: { eventSchema: ['before'], contextSchema: ['before'], responseSchema: ['after'] },
  },
  '@middy/http-error-handler': { role: 'error-handler', hooks: ['onError'] },
  '@middy/http-header-normalizer': { role: 'header-normalizer', hooks: ['before'] },
  '@middy/http-cors': { role: 'cors', hooks: ['before', 'after', 'onError'] },
  '@middy/input-output-logger': { role: 'logger', hooks: ['before', 'after', 'onError'] },
  '@middy/error-logger': { role: 'error-logger', hooks: ['onError'], offWhenFalse: 'logger' },
  '@middy/http-response-serializer': { role: 'response-serializer', hooks: ['after', 'onError'] },
  '@middy/http-security-headers': { role: 'response-headers', hooks: ['after', 'onError'] },
  '@middy/http-event-normalizer': { role: 'custom', hooks: ['before'] },
  '@aws-lambda-powertools/parser/middleware': { role: 'schema-parser', hooks: ['before', 'onError'] },
  '@aws-lambda-powertools/parser': { role: 'schema-parser', hooks: ['before', 'onError'] },
};

export function roleOf(pkg: string | undefined): MiddlewareRole | undefined {
  return pkg ? KNOWN[pkg]?.role : undefined;
}

/**
 * Hooks of a known package's middleware. `options` maps the property names of the options object literal to
 * whether the value is the literal `false` (undefined when the options are not a literal: every hook it can have).
 */
export function packageHooks(pkg: string, options: Map<string, boolean> | undefined): MiddyHook[] | undefined {
  const known = KNOWN[pkg];
  if (!known) return undefined;
  if (!options) return known.hooks;
  if (known.offWhenFalse && options.get(known.offWhenFalse) === true) return [];
  if (!known.hooksByOption) return known.hooks;
  const on = new Set(
    Object.entries(known.hooksByOption)
      .filter(([o]) => options.has(o))
      .flatMap(([, h]) => h),
  );
  return known.hooks.filter((h) => on.has(h));
}
