// The headers of a /next answer: what a runtime learns about the invocation it gets (request id, deadline, ARN,
// trace, client context, identity, and the 2025-2026 additions: the attempt's invocation id and the tenant). One
// function, used by every transport that answers /next (node:http, the direct socket), so they never differ.
import type { Invocation } from '../environments/invocation.ts';

export function eventHeaders(inv: Invocation, invokedFunctionArn: string): Record<string, string | number> {
  const headers: Record<string, string | number> = {
    'Content-Type': 'application/json',
    'Content-Length': inv.payload.length,
    'Lambda-Runtime-Aws-Request-Id': inv.requestId,
    'Lambda-Runtime-Invocation-Id': inv.invocationId,
    'Lambda-Runtime-Deadline-Ms': inv.deadlineMs,
    'Lambda-Runtime-Invoked-Function-Arn': invokedFunctionArn,
    'Lambda-Runtime-Trace-Id': inv.traceId,
  };
  if (inv.clientContext) headers['Lambda-Runtime-Client-Context'] = inv.clientContext;
  if (inv.cognitoIdentity) headers['Lambda-Runtime-Cognito-Identity'] = inv.cognitoIdentity;
  if (inv.tenantId !== undefined) headers['Lambda-Runtime-Aws-Tenant-Id'] = inv.tenantId;
  return headers;
}
