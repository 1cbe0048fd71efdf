// API keys of REST routes that require one (SAM `ApiKeyRequired`, serverless.yml `private: true`): the request's
// `x-api-key` must be one of the keys the definition file gives a value (AWS::ApiGateway::ApiKey `Value`,
// provider.apiGateway.apiKeys `value`) or one given to the runner (--api-key, OPEN_RUNTIME_API_KEYS); anything else is
// 403 {"message":"Forbidden"}, as API Gateway answers. A key found reaches requestContext.identity.apiKey (and apiKeyId).
import type { HttpAuth } from '../../functions/model.ts';
import { headerOf, localApiId } from '../events.ts';
import { refuse, type AuthOutcome, type AuthRequest } from './outcome.ts';

/** `usageIdentifierKey`: the key a Lambda authorizer supplied (API key source AUTHORIZER), used when no header is sent. */
export function checkApiKey(auth: HttpAuth, r: AuthRequest, extraKeys: ReadonlySet<string>, usageIdentifierKey?: string): AuthOutcome {
  const key = headerOf(r.clientRawHeaders, 'x-api-key') ?? usageIdentifierKey;
  const known = auth.apiKeys.length + extraKeys.size;
  const where = known
    ? `one of the ${known} API key(s) of the project`
    : 'an API key, and the project declares none with a value: add an AWS::ApiGateway::ApiKey with a Value (or an apiKeys value in serverless.yml), or start with --api-key <value>';
  if (key === undefined || key === '')
    return refuse('apiKey', r.route.event.kind, `the route requires an API key and the request sent no x-api-key header; send ${where}.`);
  if (!auth.apiKeys.includes(key) && !extraKeys.has(key)) return refuse('apiKey', r.route.event.kind, `the x-api-key sent is not ${where}.`);
  return { ok: true, grant: { apiKey: { key, id: localApiId(`key ${key}`) } } };
}
