// The HTTP request last sent to each route from the editor's Routes view, kept in the workspace the way saved
// events are (saved.ts's rule: a folder per function, portable file names, atomic writes), so "Send request" offers
// it again and it can be shared through git: `.open-runtime/requests/<function>/<METHOD> <path>.json`. A folder of
// its own, not events/: the event picker must never offer an HTTP request as a Lambda event.
import { readFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { checkEventName, checkFunctionName, writeAtomically } from './saved.ts';

export const SAVED_REQUESTS_DIR = path.join('.open-runtime', 'requests');

/** What "Send request" sends: the method, the path on the gateway (path parameters filled, query included), headers, body. */
export const HttpRequestSpec = z.object({
  method: z.string().regex(/^[A-Z]+$/, 'an upper-case HTTP method such as GET or POST'),
  /** `/orders/42?verbose=1`: always starts with a single `/` (the request never leaves the local gateway). */
  path: z.string().regex(/^\/(?!\/)/, 'a path starting with a single "/"'),
  /** The values given to the route's `{parameters}`, offered again next time. */
  pathParameters: z.record(z.string(), z.string()).default({}),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().default(''),
});
export type HttpRequestSpec = z.infer<typeof HttpRequestSpec>;

/** The route a request belongs to, as the Routes view names it. */
export interface RouteKey {
  function: string;
  method: string;
  /** The declared path, `{parameters}` left in, or `$default`. */
  path: string;
}

/** `.open-runtime/requests/<function>/<METHOD> <path>.json`; `{id}` becomes `_id_` so `/a/{id}` and `/a/id` keep apart. */
export function savedRequestPath(workspaceDir: string, route: RouteKey): string {
  checkFunctionName(route.function);
  const slug = `${route.method} ${route.path.replace(/^[/$]+/, '')}`
    .replace(/[{}]/g, '_')
    .replace(/[^A-Za-z0-9 _.-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[^A-Za-z0-9]+|[ .-]+$/g, '')
    .slice(0, 100);
  return path.join(path.resolve(workspaceDir), SAVED_REQUESTS_DIR, route.function, `${checkEventName(slug || route.method)}.json`);
}

/** The request saved for a route; undefined when none was sent yet or the file no longer reads as one. */
export async function loadSavedRequest(workspaceDir: string, route: RouteKey): Promise<HttpRequestSpec | undefined> {
  try {
    const parsed = HttpRequestSpec.safeParse(JSON.parse(await readFile(savedRequestPath(workspaceDir, route), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined; // missing or not JSON: nothing to offer
  }
}

/** Keeps the request for the route (replacing the previous one); returns the file. */
export async function saveRequest(workspaceDir: string, route: RouteKey, request: HttpRequestSpec): Promise<string> {
  const file = savedRequestPath(workspaceDir, route);
  const parsed = HttpRequestSpec.safeParse(request);
  if (!parsed.success)
    throw new Error(
      `The request for ${route.method} ${route.path} was not saved: ${parsed.error.issues.map((i) => `${i.path.join('.')} must be ${i.message}`).join('; ')}.`,
    );
  const checked = parsed.data;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeAtomically(file, `${JSON.stringify(checked, null, 2)}\n`);
  } catch (error) {
    throw new Error(`Could not save the request for ${route.method} ${route.path} to ${file}: ${(error as Error).message}.`);
  }
  return file;
}
