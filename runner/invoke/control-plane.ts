// The local Lambda control plane (CreateFunction, UpdateFunctionCode, ... on the runner's main port).
// Being written for issue 6; until then no route is claimed here.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LocalLambda } from '../local-lambda.ts';

export function handleControlPlane(_lambda: LocalLambda, _req: IncomingMessage, _res: ServerResponse, _path: string, _query: URLSearchParams): boolean {
  return false;
}
