// What every kind of check in runner/gateway/auth/ takes and gives: the request as authorization sees it, what a check
// establishes about the caller (a Grant), and a refusal as API Gateway's own answer. Apart from authorize.ts so the
// kinds depend on these shapes, not on the file that runs them.
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import type { GatewayRequest } from '../events.ts';
import { gatewayError, type GatewayAnswer } from '../responses.ts';
import type { Route, RouteMatch } from '../routes.ts';

export interface AuthRequest {
  route: Route;
  match: RouteMatch;
  /** The request as the function will see it (with the edge's X-Forwarded-* headers). */
  request: GatewayRequest;
  /** The headers exactly as the client sent them (what it signed). */
  clientRawHeaders: readonly string[];
  /** The request path as sent, without the query. */
  rawPath: string;
  /** `arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/<METHOD>/<path>`: REST's methodArn, HTTP API's routeArn. */
  methodArn: string;
  /** The request as a payload 1.0 or 2.0 event (without authorizer fields), built on demand: REQUEST authorizers' events start from it. */
  proxyEvent(format: '1.0' | '2.0'): APIGatewayProxyEvent | APIGatewayProxyEventV2;
}

/** What authorization established about the caller. */
export interface Grant {
  lambda?: { principalId?: string; context: Record<string, unknown> | null; latency: number; usageIdentifierKey?: string };
  jwt?: { claims: Record<string, string>; scopes: string[] | null };
  /** A REST API's Cognito user-pool authorizer: the token's claims, as strings. */
  cognito?: { claims: Record<string, string> };
  iam?: { accessKey: string; accountId: string; caller: string; user: string; userArn: string };
  apiKey?: { key: string; id: string };
}

export type AuthOutcome = { ok: true; grant: Grant } | { ok: false; answer: GatewayAnswer };

/** A refusal: API Gateway's answer for `error` on this kind of API, with the reason for the runner's log. */
export function refuse(error: Parameters<typeof gatewayError>[0], kind: Route['event']['kind'], problem: string): AuthOutcome {
  return { ok: false, answer: gatewayError(error, kind, problem) };
}
