// The chain analyzer on a corpus of real chains (test/fixtures/chains) built with the real @middy packages and
// Powertools parser: the type text at each step, as the checker prints it, and the diagnostics.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { analyzeChains, ChainReport, type MiddyChain } from '../../runner/analysis/index.ts';

const CHAINS = resolve(import.meta.dirname, '..', 'fixtures', 'chains');

async function chainsOf(file: string): Promise<Map<string, MiddyChain>> {
  const report = await analyzeChains(join(CHAINS, file));
  ChainReport.parse(report);
  assert.deepEqual(report.problems, []);
  assert.equal(report.tsconfig, join(CHAINS, 'tsconfig.json'));
  return new Map(report.chains.map((c) => [c.name, c]));
}

/** [kind, middleware, eventType, contextType, responseType] per step. */
function table(chain: MiddyChain | undefined): string[][] {
  assert.ok(chain, 'chain found');
  return chain.steps.map((s) => [s.kind, s.middleware, s.eventType, s.contextType, s.responseType]);
}

/** How the Context type prints in a file that does not import it: a name the file can use. */
const CTX = 'import("aws-lambda").Context';

const codes = (chain: MiddyChain | undefined) => chain!.diagnostics.map((d) => `${d.code}@${d.range.start.line}:${d.range.start.column}`);

test('an exported middy(handler) chain: steps, packages, roles, hooks and types', async () => {
  const chain = (await chainsOf('http-basic.ts')).get('handler');
  assert.equal(chain?.exported, true);
  assert.deepEqual(table(chain), [
    ['origin', 'middy', 'APIGatewayProxyEvent', CTX, 'APIGatewayProxyResult'],
    // RequestEvent is not imported by the file: printed as the import type it can name.
    ['use', 'httpJsonBodyParser', 'import("@middy/http-json-body-parser").RequestEvent & APIGatewayProxyEvent', CTX, 'APIGatewayProxyResult'],
    ['use', 'httpErrorHandler', 'import("@middy/http-json-body-parser").RequestEvent & APIGatewayProxyEvent', CTX, 'APIGatewayProxyResult'],
    ['handler', 'base', 'APIGatewayProxyEvent', CTX, 'APIGatewayProxyResult'],
  ]);
  assert.deepEqual(
    chain!.steps.map((s) => [s.package, s.role, s.hooks.join('+')]),
    [
      [undefined, undefined, ''],
      ['@middy/http-json-body-parser', 'body-parser', 'before'],
      ['@middy/http-error-handler', 'error-handler', 'onError'],
      [undefined, undefined, ''],
    ],
  );
  assert.deepEqual(chain!.steps[1]!.range.start, { line: 10, column: 40 });
  assert.deepEqual(chain!.handlerRange?.start, { line: 6, column: 14 });
  const body = chain!.steps[0]!.eventFields.find((f) => f.name === 'body');
  assert.deepEqual(body, { name: 'body', type: 'string | null', optional: false });
  assert.deepEqual(chain!.diagnostics, []);
});

test('a body read as an object with no body parser in the chain', async () => {
  const chain = (await chainsOf('body-not-parsed.ts')).get('handler');
  assert.deepEqual(table(chain), [
    ['origin', 'middy', 'CreateUser', CTX, 'APIGatewayProxyResult'],
    ['use', 'httpErrorHandler', 'Omit<APIGatewayProxyEvent, "body"> & { body: { name: string; email: string; }; }', CTX, 'APIGatewayProxyResult'],
    ['handler', 'handler', 'Omit<APIGatewayProxyEvent, "body"> & { body: { name: string; email: string; }; }', CTX, '{ statusCode: number; body: string; }'],
  ]);
  // event.body.name and the destructured email; event.body.length is a string's own field and fine.
  assert.deepEqual(codes(chain), ['body-not-parsed@12:48', 'body-not-parsed@12:68']);
  const [name] = chain!.diagnostics;
  assert.equal(name!.severity, 'error');
  assert.match(name!.message, /^event\.body\.name reads a field of the body, but no middleware in this chain parses the body/);
  assert.match(name!.explanation, /httpJsonBodyParser/);
});

test('Powertools parser: the event becomes the schema output, with or without an envelope', async () => {
  const chains = await chainsOf('parser.ts');
  const order = '{ id: number; item: string; quantity: number; }';
  assert.deepEqual(table(chains.get('placeOrder')), [
    ['origin', 'middy', 'unknown', CTX, 'any'],
    ['use', 'parser', order, CTX, 'any'],
    ['handler', 'handler', order, CTX, '{ accepted: number; item: string; }'],
  ]);
  assert.equal(chains.get('placeOrder')!.steps[1]!.package, '@aws-lambda-powertools/parser/middleware');
  assert.equal(chains.get('placeOrder')!.steps[1]!.role, 'schema-parser');
  assert.deepEqual(
    table(chains.get('drainQueue')).map((r) => r[2]),
    ['unknown', `${order}[]`, `${order}[]`],
  );
  assert.deepEqual(codes(chains.get('placeOrder')), []);
  assert.deepEqual(codes(chains.get('drainQueue')), []);
});

test('Powertools parser replaces the event: reading a field of the original event is reported', async () => {
  const chain = (await chainsOf('parser.ts')).get('fromApi');
  const order = '{ id: number; item: string; quantity: number; }';
  assert.deepEqual(table(chain)[2], ['handler', 'handler', `${order} & APIGatewayProxyEvent`, CTX, '{ id: number; agent: string | undefined; }']);
  assert.equal(chain!.steps[2]!.runtimeEventType, order);
  assert.deepEqual(codes(chain), ['missing-field@20:53']);
  assert.match(chain!.diagnostics[0]!.message, /^event\.headers is not provided by this chain: parser\(\.\.\.\) replaces the event with its schema's output/);
});

test('types the file does not import: the report keeps import("…").X, the diagnostic says X and gives the long form in its explanation', async () => {
  const chains = await chainsOf('type-names.ts');
  const handler = chains.get('handler');
  // The report (CLI JSON, the view's hover) names them as the file could write them.
  assert.deepEqual(table(handler)[1], [
    'use',
    'httpErrorHandler',
    'import("aws-lambda").APIGatewayProxyEvent & { user: import("./shared-events.ts").User; }',
    CTX,
    '{ statusCode: number; body: string; }',
  ]);
  assert.deepEqual(table(chains.get('parsed'))[1]!.slice(2, 4), ['import("@middy/http-json-body-parser").RequestEvent', CTX]);
  // The sentence says the short name; the explanation, what it stands for.
  assert.deepEqual(codes(handler), ['missing-field@9:86']);
  const [missing] = handler!.diagnostics;
  assert.equal(
    missing!.message,
    "event.user is not provided by this chain: the handler's event type adds it to APIGatewayProxyEvent, but no middleware registered on the chain declares it.",
  );
  assert.match(missing!.explanation, /\. The type above in full: import\("aws-lambda"\)\.APIGatewayProxyEvent\.$/);
});

test('.use([a, b]): kept types are shown, lost ones reported', async () => {
  const chains = await chainsOf('use-array.ts');
  assert.deepEqual(
    table(chains.get('grouped')).map((r) => r[2]),
    ['unknown', 'WithUser & WithTenant', 'WithUser & WithTenant', 'WithUser & WithTenant'],
  );
  assert.deepEqual(
    chains.get('grouped')!.steps.map((s) => s.group),
    [undefined, 0, 0, undefined],
  );
  assert.deepEqual(codes(chains.get('grouped')), []);
  assert.deepEqual(
    table(chains.get('chained')).map((r) => r[2]),
    ['unknown', 'WithUser', 'WithTenant & WithUser', 'WithTenant & WithUser'],
  );
  const lost = chains.get('parsedTogether');
  assert.deepEqual(
    table(lost).map((r) => r[2]),
    ['unknown', 'any', 'any', 'any'],
  );
  assert.deepEqual(codes(lost), ['use-array-loses-types@36:8', 'any-leak@37:19']);
  assert.match(lost!.diagnostics[0]!.message, /lost the event type of parser: after this call the event is any/);
  assert.match(lost!.diagnostics[1]!.message, /became any in \.use\(\[\.\.\.\]\)/);
});

test('orders that defeat middlewares', async () => {
  const chains = await chainsOf('order.ts');
  assert.deepEqual(codes(chains.get('errorsFirst')), ['error-handler-order@15:50']);
  assert.match(chains.get('errorsFirst')!.diagnostics[0]!.message, /without CORS headers/);
  assert.deepEqual(codes(chains.get('validatesText')), ['validate-before-parse@17:52']);
  assert.deepEqual(codes(chains.get('normalizesLate')), ['normalize-after-read@19:79']);
  assert.deepEqual(codes(chains.get('wellOrdered')), []);
  assert.deepEqual(
    chains.get('wellOrdered')!.steps.map((s) => s.hooks.join('+')),
    ['', 'before', 'before+after+onError', 'before', 'before', 'onError', ''],
  );
});

test('any leaking into the handler from a middleware typed any', async () => {
  const chain = (await chainsOf('any-leak.ts')).get('handler');
  assert.deepEqual(table(chain), [
    ['origin', 'middy', 'unknown', CTX, 'any'],
    ['use', 'legacyAuth', 'any', CTX, 'any'],
    ['handler', 'handler', 'any', CTX, '{ user: any; }'],
  ]);
  assert.deepEqual(codes(chain), ['any-leak@13:19']);
  assert.equal(chain!.diagnostics[0]!.step, 1);
});

test('custom middleware objects, bare hooks and a handler declared apart', async () => {
  const chain = (await chainsOf('custom.ts')).get('chain');
  assert.equal(chain?.exported, true, 'export { chain } exports it');
  assert.deepEqual(
    chain!.steps.map((s) => [s.kind, s.middleware, s.hooks.join('+')]),
    [
      ['origin', 'middy', ''],
      ['use', 'timing', 'before+after+onError'],
      ['use', 'logger', 'before+after+onError'],
      ['before', 'checkSize', 'before'],
      ['onError', 'inline onError', 'onError'],
      ['handler', 'processBatch', ''],
    ],
  );
  // Middy's context after a middleware is Context, or Context with the durable functions SDK's when that optional
  // peer is installed; it is never printed with a name the file cannot use.
  assert.deepEqual([chain!.steps[0]!.contextType, chain!.steps[5]!.contextType], ['Context', 'Context']);
  for (const s of chain!.steps.slice(1, 5))
    assert.match(s.contextType, /^(any|Context \| \(.*import\("@aws\/durable-execution-sdk-js"\)\.DurableContext.*\))$/);
  assert.deepEqual(
    chain!.steps.map((s) => s.eventType),
    Array(6).fill('SQSEvent & Timed'),
  );
  assert.equal(chain!.steps[2]!.package, '@middy/input-output-logger');
  assert.deepEqual(chain!.diagnostics, []);
});

test('after an edit (unsaved text), the analysis sees the new chain', async () => {
  const file = join(CHAINS, 'body-not-parsed.ts');
  const original = readFileSync(file, 'utf8');
  const fixed = original
    .replace(
      "import httpErrorHandler from '@middy/http-error-handler';",
      "import httpErrorHandler from '@middy/http-error-handler';\nimport httpJsonBodyParser from '@middy/http-json-body-parser';",
    )
    .replace('.use(httpErrorHandler())', '.use(httpJsonBodyParser()).use(httpErrorHandler())');
  const edited = await analyzeChains(file, { text: fixed });
  assert.deepEqual(
    edited.chains[0]!.steps.map((s) => s.middleware),
    ['middy', 'httpJsonBodyParser', 'httpErrorHandler', 'handler'],
  );
  assert.deepEqual(edited.chains[0]!.diagnostics, []);
  const back = await analyzeChains(file);
  assert.deepEqual(codes(back.chains[0]), ['body-not-parsed@12:48', 'body-not-parsed@12:68']);
});

test('a file without chains, and one that does not exist', async () => {
  const none = await analyzeChains(join(CHAINS, 'no-chain.ts'));
  assert.deepEqual(none.problems, []);
  assert.deepEqual(none.chains, []);
  const missing = await analyzeChains(join(CHAINS, 'nope.ts'));
  assert.equal(missing.chains.length, 0);
  assert.match(missing.problems[0]!, /could not be read as TypeScript/);
});

test('a JavaScript handler under a tsconfig.json without allowJs is still read (no "could not be read as TypeScript")', async () => {
  const { mkdtempSync, writeFileSync, mkdirSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'or-analysis-js-'));
  try {
    // A TypeScript project higher up (as when a SAM project with JS handlers sits inside a TS monorepo).
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext' }, include: ['src'] }));
    mkdirSync(join(dir, 'hello_world'));
    const file = join(dir, 'hello_world', 'app.mjs');
    writeFileSync(file, 'export const lambdaHandler = async (event) => ({ statusCode: 200, body: "hi" });\n');
    const report = await analyzeChains(file);
    assert.deepEqual(report.problems, []);
    assert.deepEqual(report.chains, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('chains across statements: a variable, reassignments, hooks on their own lines, exports of the variable', async () => {
  const chains = await chainsOf('flow.ts');
  assert.deepEqual([...chains.keys()], ['reported', 'reassigned', 'handler', 'default']);
  const steps = (name: string) => chains.get(name)!.steps.map((s) => `${s.kind}:${s.middleware}`);
  // The exact code of a real report: `const h = middy(fn); h.use(httpErrorHandler()).use(httpCors())`.
  assert.deepEqual(steps('reported'), ['origin:middy', 'use:httpErrorHandler', 'use:httpCors', 'handler:base']);
  assert.equal(chains.get('reported')!.exported, true);
  assert.deepEqual(codes(chains.get('reported')), ['error-handler-order@13:7']);
  assert.deepEqual(steps('reassigned'), ['origin:middy', 'use:httpJsonBodyParser', 'use:errorLogger', 'use:httpErrorHandler', 'handler:base']);
  assert.deepEqual(codes(chains.get('reassigned')), ['error-logged-after-handling@18:29']);
  assert.match(
    chains.get('reassigned')!.diagnostics[0]!.message,
    /^errorLogger is registered before httpErrorHandler, so its onError runs after httpErrorHandler has replaced an unexpected error with a generic 500/,
  );
  // httpErrorHandler then errorLogger is the right order: no advice to swap them.
  assert.deepEqual(steps('handler'), ['origin:middy', 'use:httpErrorHandler', 'use:errorLogger', 'before:inline before', 'handler:base']);
  assert.deepEqual(codes(chains.get('handler')), []);
  // A registration under a condition is reported as not followed, not silently dropped.
  assert.deepEqual(steps('default'), ['origin:middy', 'handler:base']);
  const [skipped] = chains.get('default')!.diagnostics;
  assert.equal(skipped?.code, 'chain-not-followed');
  assert.equal(skipped?.severity, 'info');
  assert.match(skipped!.message, /\.use\(\) on conditional runs under a condition/);
});

test('the tsconfig/ESM check: node10, CommonJS output and a CommonJS file, each with its fix; unresolved imports', async () => {
  const { mkdtempSync, writeFileSync, rmSync, symlinkSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { forgetWorkspaces } = await import('../../runner/analysis/index.ts');
  const dir = mkdtempSync(join(tmpdir(), 'or-analysis-esm-'));
  try {
    symlinkSync(resolve(import.meta.dirname, '..', '..', 'node_modules'), join(dir, 'node_modules'));
    const file = join(dir, 'app.ts');
    writeFileSync(
      file,
      "import middy from '@middy/core';\nimport httpCors from '@middy/http-cors';\nimport nope from '@middy/not-installed';\nexport const handler = middy(async () => ({ statusCode: 200 })).use(httpCors()).use(nope());\n",
    );
    const check = async (compilerOptions: object, pkg: object) => {
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, types: [], ...compilerOptions } }, null, 2));
      writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
      forgetWorkspaces();
      return analyzeChains(file);
    };
    const node10 = await check({ module: 'commonjs', moduleResolution: 'node10' }, { type: 'module' });
    const esm = node10.diagnostics.find((d) => d.code === 'middy-esm-config');
    assert.equal(esm?.severity, 'error');
    assert.match(esm!.message, /sets moduleResolution node10, which ignores package\.json "exports"/);
    assert.equal(esm!.range.file, join(dir, 'tsconfig.json'));
    assert.deepEqual(
      esm!.fix?.edits.map((e) => [e.range.start.line, e.newText]),
      [
        [5, '"nodenext"'],
        [6, '"nodenext"'],
      ],
    );
    const unresolved = node10.diagnostics.filter((d) => d.code === 'unresolved-import');
    assert.deepEqual(
      unresolved.map((d) => d.range.start.line),
      [3],
    );
    assert.match(unresolved[0]!.message, /'@middy\/not-installed' does not resolve from this file/);
    assert.deepEqual(
      node10.chains[0]!.diagnostics.map((d) => d.code),
      ['unresolved-import'],
    );

    const cjs = await check({ module: 'commonjs' }, { type: 'module' });
    assert.match(
      cjs.diagnostics.find((d) => d.code === 'middy-esm-config')!.message,
      /compiles to CommonJS \(module CommonJS\), so the output require\(\)s @middy\/core/,
    );

    const cjsFile = await check({ module: 'nodenext', moduleResolution: 'nodenext' }, { name: 'app' });
    const typeFix = cjsFile.diagnostics.find((d) => d.code === 'middy-esm-config');
    assert.match(typeFix!.message, /This file is compiled as CommonJS/);
    assert.deepEqual(
      typeFix!.fix?.edits.map((e) => [e.range.file, e.newText]),
      [[join(dir, 'package.json'), ' "type": "module",']],
    );

    const good = await check({ module: 'nodenext', moduleResolution: 'nodenext' }, { type: 'module' });
    assert.deepEqual(
      good.diagnostics.map((d) => d.code),
      ['unresolved-import'],
    );
  } finally {
    forgetWorkspaces();
    rmSync(dir, { recursive: true, force: true });
  }
});
