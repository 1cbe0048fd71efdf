// The CodeLens detector: lenses above every handler shape users write, and above nothing else.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findDeclarationLine, findHandlers, languageOfFile, type SourceLanguage } from '../../extension/find-handlers.ts';
import { maskCommentsAndStrings } from '../../extension/source-scan.ts';

const found = (text: string, language: SourceLanguage = 'typescript') => findHandlers(text, language).map((h) => `${h.exportName}@${h.line}`);

describe('TypeScript / JavaScript handlers', () => {
  const cases: Array<[string, string, string[]]> = [
    ['exported async function', 'export async function handler(event, context) {\n  return 1;\n}', ['handler@0']],
    ['exported function with typed params', 'import type { SQSEvent } from "aws-lambda";\n\nexport function process(records: SQSEvent) {}', ['process@2']],
    ['exported arrow', 'export const handler = async (event) => ({ statusCode: 200 });', ['handler@0']],
    ['arrow without params named handler', 'export const handler = async () => {\n  return { ok: true };\n};', ['handler@0']],
    ['single-param arrow without parens', 'export const handler = event => event;', ['handler@0']],
    ['parenthesised with satisfies', 'export const handler = (async (event) => 1) satisfies Handler;', ['handler@0']],
    ['(event, context) under any name', 'export const main = async (event, context) => event;', ['main@0']],
    ['*Handler name with an event parameter', 'export const createOrderHandler = async (event) => event;', ['createOrderHandler@0']],
    ['typed multi-line parameters', 'export async function consume(\n  records: SQSEvent,\n  context: Context,\n): Promise<void> {\n}', ['consume@0']],
    ['typed const', 'export const api: APIGatewayProxyHandlerV2 = async (e) => ({ statusCode: 200 });', ['api@0']],
    ['generic arrow with return type', 'export const handler = async <T,>(event: T): Promise<{ ok: boolean }> => ({ ok: true });', ['handler@0']],
    [
      'middy-wrapped',
      "import middy from '@middy/core';\nconst base = async (event) => event;\nexport const handler = middy(base)\n  .use(jsonBodyParser())\n  .use(httpErrorHandler());",
      ['handler@2'],
    ],
    ['middy-wrapped under another name', 'export const main = middy(base).use(logger());', ['main@0']],
    ['Sentry wrapper', 'export const run = Sentry.AWSLambda.wrapHandler(async (event) => event);', ['run@0']],
    ['exports.handler', 'exports.handler = async function (event, context) {\n};', ['handler@0']],
    ['module.exports.handler', "'use strict';\nmodule.exports.handler = async (event) => event;", ['handler@1']],
    [
      'module.exports object',
      'async function handler(event) { return event; }\nfunction add(a, b) { return a + b; }\nmodule.exports = { handler, add };',
      ['handler@2'],
    ],
    ['export list with alias', 'const impl = async (event, context) => 1;\nexport { impl as handler };', ['handler@1']],
    ['two handlers', 'export async function create(event, context) {}\n\nexport async function remove(evt, ctx) {}', ['create@0', 'remove@2']],
    ['callback-style handler', 'exports.handler = function (event, context, callback) { callback(null, 1); };', ['handler@0']],
    ['handler alias of a local', 'const impl = async (event) => 1;\nexport const handler = impl;', ['handler@1']],
    ['sqsEvent-style param name', 'export async function consume(sqsEvent, context) {}', ['consume@0']],
  ];
  for (const [title, text, expected] of cases) {
    it(`finds: ${title}`, () => assert.deepEqual(found(text), expected));
  }

  const none: Array<[string, string]> = [
    ['a non-exported helper taking (a, b)', 'function add(a, b) { return a + b; }\nconst mul = (a, b) => a * b;'],
    ['an exported helper taking (a, b)', 'export function add(a: number, b: number) { return a + b; }'],
    ['an exported helper taking a generic input', 'export const format = (value: string) => value.trim();'],
    ['a class, even one named Handler', 'export class Handler {\n  handle(event) {}\n}'],
    ['a constant', "export const VERSION = '1.0.0';\nexport const handlerTimeout = 30;"],
    ['a config object built by a call', 'export const config = defineConfig({ a: 1 });'],
    ['a handler-looking function inside a comment', '// export async function handler(event) {}\n/* export const handler = async (event) => 1; */'],
    [
      'a handler-looking function inside a string',
      'const doc = `\nexport async function handler(event) {}\n`;\nconst s = "exports.handler = async (event) => 1";',
    ],
    ['an instance made with new', 'export const handler = new Router();'],
    ['too many params (Express error middleware)', 'export function errorHandler(err, req, res, next) {}'],
    ['a re-export from another module', "export { handler } from './impl';"],
    [
      'an exported helper that takes an event',
      'export function isEventValid(event) { return !!event; }\nexport async function saveEvent(event: Record<string, unknown>) {}',
    ],
    ['a UI click handler', 'export const onClickHandler = (e) => console.log(e);\nexport const Button = (props) => null;'],
    ['a type', 'export type Handler = (event: unknown) => Promise<void>;\nexport interface EventHandler { (event: unknown): void }'],
  ];
  for (const [title, text] of none) {
    it(`ignores ${title}`, () => assert.deepEqual(found(text), []));
  }

  it('is not fooled by a regex literal that contains quotes', () => {
    const text = 'const re = /["\']/g;\nexport const handler = async (event) => event;';
    assert.deepEqual(found(text, 'javascript'), ['handler@1']);
  });

  it('reports the line of the export in a real multi-line file', () => {
    const text = [
      "import middy from '@middy/core';",
      "import jsonBodyParser from '@middy/http-json-body-parser';",
      '',
      '/** Greets the caller. */',
      'const greet = async (event: { body: { name: string } }) => {',
      '  return { statusCode: 200, body: `hello ${event.body.name}` };',
      '};',
      '',
      'export const handler = middy(greet).use(jsonBodyParser());',
      '',
      'export function helper(a: number, b: number) { return a + b; }',
    ].join('\n');
    assert.deepEqual(findHandlers(text, 'typescript'), [{ exportName: 'handler', line: 8, kind: 'wrapped' }]);
  });
});

describe('Python handlers', () => {
  it('finds def handler(event, context)', () => {
    assert.deepEqual(found('import json\n\ndef handler(event, context):\n    return event\n', 'python'), ['handler@2']);
  });
  it('finds lambda_handler with annotations and a decorator above', () => {
    const text = '@logger.inject_lambda_context\ndef lambda_handler(event: dict, context: LambdaContext) -> dict:\n    return {}\n';
    assert.deepEqual(found(text, 'python'), ['lambda_handler@1']);
  });
  it('finds a handler-shaped def under another name, and a Mangum-wrapped app', () => {
    const text = 'def process_order(event, context):\n    pass\n\napp = FastAPI()\nhandler = Mangum(app)\n';
    assert.deepEqual(found(text, 'python'), ['process_order@0', 'handler@4']);
  });
  it('ignores helpers, methods, classes and defs in docstrings', () => {
    const text = [
      'def add(a, b):',
      '    return a + b',
      '',
      'class Handler:',
      '    def handler(self, event, context):',
      '        pass',
      '',
      '"""',
      'def handler(event, context):',
      '"""',
      '',
      'def handler_of_one(event):',
      '    pass',
      '',
      'def parse(body, flags, extra):',
      '    pass',
    ].join('\n');
    assert.deepEqual(found(text, 'python'), []);
  });
});

describe('Go and Rust handlers', () => {
  it('puts the Go lens above the function passed to lambda.Start', () => {
    const text =
      'package main\n\nimport "github.com/aws/aws-lambda-go/lambda"\n\nfunc handleRequest(ctx context.Context, event Event) (string, error) {\n\treturn "ok", nil\n}\n\nfunc main() {\n\tlambda.Start(handleRequest)\n}\n';
    assert.deepEqual(found(text, 'go'), ['handleRequest@4']);
  });
  it('falls back to the lambda.Start line when the function lives elsewhere', () => {
    assert.deepEqual(found('package main\n\nfunc main() {\n\tlambda.Start(handlers.Get)\n}\n', 'go'), ['Get@3']);
  });
  it('ignores Go code without lambda.Start (even in a comment)', () => {
    assert.deepEqual(found('package main\n// lambda.Start(x)\nfunc main() { run() }\n', 'go'), []);
  });
  it('finds the Rust function given to service_fn in lambda_runtime::run', () => {
    const text =
      'use lambda_runtime::{service_fn, LambdaEvent, Error};\n\nasync fn func(event: LambdaEvent<Value>) -> Result<Value, Error> {\n    Ok(event.payload)\n}\n\n#[tokio::main]\nasync fn main() -> Result<(), Error> {\n    lambda_runtime::run(service_fn(func)).await\n}\n';
    assert.deepEqual(found(text, 'rust'), ['func@2']);
  });
  it('finds run(service_fn(...)) imported unqualified, with a pub fn', () => {
    const text =
      'use lambda_http::{run, service_fn};\npub async fn function_handler(req: Request) -> Result<Response<Body>, Error> { todo!() }\nasync fn main() { run(service_fn(function_handler)).await }\n';
    assert.deepEqual(found(text, 'rust'), ['function_handler@1']);
  });
  it('ignores Rust code that merely calls some run()', () => {
    assert.deepEqual(found("fn main() { let c = 'x'; app.run(); run(config); }\n", 'rust'), []);
  });
});

describe('declarations named by a template', () => {
  it('finds non-handler-shaped functions a template points to', () => {
    assert.equal(findDeclarationLine('import os\n\ndef process(body, meta):\n    pass\n', 'python', 'process'), 2);
    assert.equal(findDeclarationLine('const x = 1;\nexport function run(a, b) {}\n', 'typescript', 'run'), 1);
    assert.equal(findDeclarationLine('function impl() {}\nexport { impl as entry };\n', 'javascript', 'entry'), 1);
    assert.equal(findDeclarationLine('// export function run() {}\n', 'typescript', 'run'), undefined);
  });
});

describe('languageOfFile and masking', () => {
  it('maps file extensions, and skips declaration files', () => {
    assert.equal(languageOfFile('/a/b/handler.mts'), 'typescript');
    assert.equal(languageOfFile('app.py'), 'python');
    assert.equal(languageOfFile('main.go'), 'go');
    assert.equal(languageOfFile('lib.rs'), 'rust');
    assert.equal(languageOfFile('types.d.ts'), undefined);
    assert.equal(languageOfFile('README.md'), undefined);
  });
  it('keeps offsets and newlines while blanking comments and strings', () => {
    const text = "a = \"x\\\"y\" # c\nb = '''\nz\n'''\n";
    const masked = maskCommentsAndStrings(text, 'python');
    assert.equal(masked.length, text.length);
    assert.equal(masked, "a = \"    \"    \nb = '''\n \n'''\n");
  });
});
