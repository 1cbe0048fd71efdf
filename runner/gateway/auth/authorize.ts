// The gateway's one question before it invokes a route's function: may this request call it? Runs what the route's
// HttpAuth asks for in API Gateway's order (AWS_IAM signature, then the authorizer, then the API key) with one file
// per kind in this folder, and puts what they establish (principal, authorizer context, JWT claims, IAM caller, API
// key) into the event's requestContext the way AWS fills it for each payload format.
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { LOCAL_ACCOUNT } from '../../functions/model.ts';
import { localApiId } from '../events.ts';
import type { Route } from '../routes.ts';
import { checkApiKey } from './api-keys.ts';
import { JwtAuthorizers, type JwtOptions } from './jwt.ts';
import { LambdaAuthorizers, type InvokeAuthorizer } from './lambda-authorizer.ts';
import type { AuthOutcome, AuthRequest, Grant } from './outcome.ts';
import { checkSignature, verifySignature, type SignatureVerdict, type SignedRequest, type SigningCredentials } from './sigv4.ts';

export type { AuthOutcome, AuthRequest, Grant } from './outcome.ts';

export interface AuthOptions {
  jwt: JwtOptions;
  /**
   * Finds the user's own credentials, asked once on the first AWS_IAM request (so a project without such routes never
   * loads the credential chain): signatures are checked with them; undefined: only their shape.
   */
  findCredentials?: () => Promise<SigningCredentials | undefined>;
  /** API keys given to the runner (--api-key, OPEN_RUNTIME_API_KEYS), valid on every route that requires one. */
  apiKeys: readonly string[];
}

export class GatewayAuth {
  private readonly lambdas: LambdaAuthorizers;
  private readonly jwts: JwtAuthorizers;
  private readonly opts: AuthOptions;
  private readonly apiKeys: ReadonlySet<string>;
  private credentials: Promise<SigningCredentials | undefined> | undefined;

  constructor(invoke: InvokeAuthorizer, opts: AuthOptions) {
    this.lambdas = new LambdaAuthorizers(invoke);
    this.jwts = new JwtAuthorizers(opts.jwt);
    this.opts = opts;
    this.apiKeys = new Set(opts.apiKeys);
  }

  /** Forgets cached authorizer answers and signing keys (the functions or the template changed). */
  clear(): void {
    this.lambdas.clear();
    this.jwts.clear();
  }

  /** A WebSocket AWS_IAM $connect's signature, checked with the same credentials as the HTTP routes' AWS_IAM. */
  async verifySignature(req: SignedRequest): Promise<SignatureVerdict> {
    return verifySignature(req, await this.ownCredentials());
  }

  private ownCredentials(): Promise<SigningCredentials | undefined> {
    this.credentials ??= this.opts.findCredentials?.() ?? Promise.resolve(undefined);
    return this.credentials;
  }

  async authorize(r: AuthRequest): Promise<AuthOutcome> {
    const auth = r.route.event.auth;
    if (!auth) return { ok: true, grant: {} };
    let grant: Grant = {};
    if (auth.iam) {
      const outcome = await checkSignature(r, await this.ownCredentials());
      if (!outcome.ok) return outcome;
      grant = { ...grant, ...outcome.grant };
    }
    if (auth.authorizer) {
      const outcome =
        auth.authorizer.type === 'lambda'
          ? await this.lambdas.authorize(auth.authorizer, r)
          : auth.authorizer.type === 'cognito'
            ? await this.jwts.authorizeCognito(auth.authorizer, auth.scopes, r)
            : await this.jwts.authorize(auth.authorizer, auth.scopes, r);
      if (!outcome.ok) return outcome;
      grant = { ...grant, ...outcome.grant };
    }
    if (auth.apiKeyRequired) {
      const outcome = checkApiKey(auth, r, this.apiKeys, grant.lambda?.usageIdentifierKey);
      if (!outcome.ok) return outcome;
      grant = { ...grant, ...outcome.grant };
    }
    return { ok: true, grant };
  }
}

/** The ARN API Gateway authorizes a request against (REST methodArn, HTTP API routeArn). */
export function methodArnOf(route: Route, method: string, path: string, region = process.env.AWS_REGION ?? 'us-east-1'): string {
  return `arn:aws:execute-api:${region}:${LOCAL_ACCOUNT}:${localApiId(route.event.api)}/${route.event.stage}/${method}${path.startsWith('/') ? path : `/${path}`}`;
}

/** Puts what authorization established into the event, as AWS fills payload 1.0 and 2.0. */
export function applyGrant(event: APIGatewayProxyEvent | APIGatewayProxyEventV2, grant: Grant): void {
  if ('httpMethod' in event) {
    const rc = event.requestContext as APIGatewayProxyEvent['requestContext'] & { authorizer?: Record<string, unknown> };
    if (grant.lambda)
      rc.authorizer = {
        ...(grant.lambda.principalId !== undefined ? { principalId: grant.lambda.principalId } : {}),
        integrationLatency: grant.lambda.latency,
        ...grant.lambda.context,
      };
    if (grant.jwt) rc.authorizer = { claims: grant.jwt.claims, scopes: grant.jwt.scopes };
    if (grant.cognito) rc.authorizer = { claims: grant.cognito.claims };
    if (grant.iam)
      Object.assign(rc.identity, {
        accessKey: grant.iam.accessKey,
        accountId: grant.iam.accountId,
        caller: grant.iam.caller,
        user: grant.iam.user,
        userArn: grant.iam.userArn,
      });
    if (grant.apiKey) Object.assign(rc.identity, { apiKey: grant.apiKey.key, apiKeyId: grant.apiKey.id });
    return;
  }
  const rc = event.requestContext as APIGatewayProxyEventV2['requestContext'] & { authorizer?: Record<string, unknown> };
  if (grant.lambda) rc.authorizer = { lambda: grant.lambda.context };
  if (grant.jwt) rc.authorizer = { jwt: { claims: grant.jwt.claims, scopes: grant.jwt.scopes } };
  if (grant.iam)
    rc.authorizer = {
      iam: {
        accessKey: grant.iam.accessKey,
        accountId: grant.iam.accountId,
        callerId: grant.iam.caller,
        principalOrgId: null,
        userArn: grant.iam.userArn,
        userId: grant.iam.user,
        cognitoIdentity: null,
      },
    };
}
