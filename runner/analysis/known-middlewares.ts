// What the analysis knows about middlewares it did not read the code of: the role of well-known packages (what
// they do to the request, which the ordering diagnostics reason about) and, for any package, which hooks its
// middleware object has (read from the package's JavaScript: typings declare all three as optional).
import { existsSync, readFileSync } from 'node:fs';
import type { MiddlewareRole, MiddyHook } from './report.ts';

const ROLES: Record<string, MiddlewareRole> = {
  '@middy/http-json-body-parser': 'body-parser',
  '@middy/http-urlencode-body-parser': 'body-parser',
  '@middy/http-multipart-body-parser': 'body-parser',
  '@middy/validator': 'validator',
  '@middy/http-error-handler': 'error-handler',
  '@middy/http-header-normalizer': 'header-normalizer',
  '@middy/http-cors': 'cors',
  '@middy/input-output-logger': 'logger',
  '@middy/http-response-serializer': 'response-serializer',
  '@aws-lambda-powertools/parser/middleware': 'schema-parser',
  '@aws-lambda-powertools/parser': 'schema-parser',
};

/** Hooks of well-known packages, used when their code can't be read. */
const HOOKS: Record<string, MiddyHook[]> = {
  '@middy/http-json-body-parser': ['before'],
  '@middy/http-urlencode-body-parser': ['before'],
  '@middy/http-multipart-body-parser': ['before'],
  '@middy/validator': ['before', 'after'],
  '@middy/http-error-handler': ['onError'],
  '@middy/http-header-normalizer': ['before'],
  '@middy/http-cors': ['before', 'after', 'onError'],
  '@middy/input-output-logger': ['before', 'after', 'onError'],
  '@middy/http-response-serializer': ['after', 'onError'],
  '@aws-lambda-powertools/parser/middleware': ['before', 'onError'],
};

export function roleOf(pkg: string | undefined): MiddlewareRole | undefined {
  return pkg ? ROLES[pkg] : undefined;
}

const scanned = new Map<string, MiddyHook[] | undefined>();

/**
 * Hooks of a package's middleware: the `before:` / `after:` / `onError:` keys of the object its JavaScript
 * returns (next to the resolved typings), else the table above.
 */
export function packageHooks(pkg: string, resolvedTypings: string | undefined): MiddyHook[] | undefined {
  const key = `${pkg}\0${resolvedTypings ?? ''}`;
  if (scanned.has(key)) return scanned.get(key);
  let hooks: MiddyHook[] | undefined;
  const js = resolvedTypings?.replace(/\.d\.(m|c)?ts$/, '.$1js');
  if (js && js !== resolvedTypings && existsSync(js)) {
    const code = readFileSync(js, 'utf8');
    const found = (['before', 'after', 'onError'] as const).filter((h) => new RegExp(`(^|[\\s{,])${h}\\s*[:,}]`, 'm').test(code));
    if (found.length) hooks = found;
  }
  hooks ??= HOOKS[pkg];
  scanned.set(key, hooks);
  return hooks;
}
