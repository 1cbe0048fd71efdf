// The IAM policy a Lambda authorizer returns, evaluated against the request's method ARN as API Gateway does: a
// Deny statement that matches wins, then an Allow that matches, else the request is implicitly denied. Resources and
// actions match with IAM's wildcards (`*` any run of characters, `?` one). Pure, with its table in
// test/unit/gateway-auth-policy.test.ts; shared by REST authorizers and HTTP API authorizers that answer with a policy.

export type PolicyVerdict = 'allow' | 'implicit-deny' | 'explicit-deny';

/** Undefined when `document` is not a policy document (API Gateway then answers 500: a broken authorizer). */
export function evaluatePolicy(document: unknown, arn: string): PolicyVerdict | undefined {
  if (!document || typeof document !== 'object') return undefined;
  const raw = (document as Record<string, unknown>).Statement;
  if (raw === undefined) return undefined;
  const statements = Array.isArray(raw) ? raw : [raw];
  let allowed = false;
  for (const item of statements) {
    if (!item || typeof item !== 'object') return undefined;
    const statement = item as Record<string, unknown>;
    const effect = statement.Effect;
    if (effect !== 'Allow' && effect !== 'Deny') return undefined;
    if (!listOf(statement.Action).some((action) => wildcardMatch(action, 'execute-api:Invoke', true))) continue;
    if (!listOf(statement.Resource).some((resource) => wildcardMatch(resource, arn, false))) continue;
    if (effect === 'Deny') return 'explicit-deny';
    allowed = true;
  }
  return allowed ? 'allow' : 'implicit-deny';
}

/** IAM's string match: `*` any run of characters (slashes too), `?` exactly one; actions ignore case, resources do not. */
export function wildcardMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

function listOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
