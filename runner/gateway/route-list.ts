// The gateway's route table as its users read it: one row per declared route (a Function URL's two matching
// entries, its root and everything under it, are one row), with the local URL and the API kind. One definition
// for the terminal's table (`start` prints it, server.ts) and the control API's GET /routes (the editor's Routes
// view), so the two never describe the same route differently.
import type { FunctionSpec, HttpEvent } from '../functions/model.ts';
import type { GatewayRoute } from '../protocol.ts';
import type { Route } from './routes.ts';

/** `REST API (Prod, payload 1.0)`, `HTTP API (payload 2.0)`, `Function URL (payload 2.0)`. */
export function apiKindLabel(event: HttpEvent): string {
  if (event.kind === 'rest') return `REST API (${event.stage}, payload 1.0)`;
  if (event.kind === 'http') return `HTTP API (payload ${event.payloadVersion})`;
  return 'Function URL (payload 2.0)';
}

/** The rows of the table, most specific route first (the order requests are matched in). */
export function listRoutes(routes: readonly Route[], port: number, functions: readonly FunctionSpec[] = []): GatewayRoute[] {
  const pathOf = new Map(functions.filter((fn) => fn.path && fn.path !== fn.name).map((fn) => [fn.name, fn.path!]));
  const firstOf = new Map<string, string>(); // "METHOD path" -> the function that takes it
  return routes
    .filter((r) => !(r.event.kind === 'url' && r.servedPath.endsWith('{proxy+}')))
    .map((r) => {
      const path = r.isDefault ? '$default' : r.event.kind === 'url' ? `${r.servedPath}/` : r.servedPath;
      const functionPath = pathOf.get(r.function);
      const taker = firstOf.get(`${r.event.method} ${path}`);
      if (taker === undefined) firstOf.set(`${r.event.method} ${path}`, r.function);
      return {
        method: r.event.method,
        path,
        url: `http://127.0.0.1:${port}${r.isDefault ? '/' : path}`,
        function: r.function,
        ...(functionPath ? { functionPath } : {}),
        kind: r.event.kind,
        kindLabel: apiKindLabel(r.event),
        api: r.event.api,
        ...(taker !== undefined && taker !== r.function ? { shadowedBy: taker } : {}),
      };
    });
}
