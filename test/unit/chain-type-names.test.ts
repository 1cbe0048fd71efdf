// shortTypeText (runner/analysis/type-names.ts): the names the chain view and the diagnostics' sentences show for the
// analysis's type texts, which name out-of-scope types with the module they come from.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shortTypeText } from '../../runner/analysis/type-names.ts';

test('every import("…"). qualifier goes: package names, relative and absolute paths, inside generics and unions', () => {
  const cases: Array<[string, string]> = [
    ['import("aws-lambda").Context', 'Context'],
    ['import("/home/me/app/node_modules/@types/aws-lambda/trigger/api-gateway-proxy").APIGatewayProxyEvent', 'APIGatewayProxyEvent'],
    ['import("../../../../main/node_modules/@types/aws-lambda/handler.js").Context', 'Context'],
    [
      'import("aws-lambda").APIGatewayEventRequestContextWithAuthorizer<import("aws-lambda").APIGatewayEventDefaultAuthorizerContext> | null',
      'APIGatewayEventRequestContextWithAuthorizer<APIGatewayEventDefaultAuthorizerContext> | null',
    ],
    ['import("@middy/http-json-body-parser").RequestEvent & APIGatewayProxyEvent', 'RequestEvent & APIGatewayProxyEvent'],
    ['{ user: import("./shared-events.ts").User; }', '{ user: User; }'],
    // A namespace's member keeps its namespace.
    ['import("aws-sdk").Lambda.Types.InvocationRequest', 'Lambda.Types.InvocationRequest'],
    // An escaped quote inside the specifier does not end it early.
    ['import("we\\"ird").Thing', 'Thing'],
  ];
  for (const [long, short] of cases) assert.equal(shortTypeText(long), short, long);
});

test('text without qualifiers is left as it is, and so is a module type (typeof import("…"))', () => {
  for (const text of ['APIGatewayProxyResult', '{ statusCode: number; body: string; }', 'typeof import("aws-lambda")', 'Record<string, "import(\\"x\\")">'])
    assert.equal(shortTypeText(text), text);
});
