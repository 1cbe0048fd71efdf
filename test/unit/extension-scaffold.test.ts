// "New Function" scaffolding: every TypeScript/JavaScript/Python x event source handler runs for real (Node
// and Python processes) on the catalogue event it is saved with, and template.yaml gains the resources
// while every other byte of it stays as it was.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { renderEventText } from '../../runner/events/catalogue.ts';
import { discoverFunctions } from '../../runner/functions/discover.ts';
import {
  addResourcesToTemplate,
  folderNameFor,
  logicalIdFor,
  planFunction,
  SCAFFOLD_LANGUAGES,
  SCAFFOLD_SOURCES,
  validateFunctionName,
  writeScaffold,
  type ScaffoldLanguage,
} from '../../extension/scaffold.ts';
import { findHandlers, languageOfFile } from '../../extension/find-handlers.ts';

const NODE_CALLER = `
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { writeFileSync } from 'node:fs';
const [file, eventFile, resultFile] = process.argv.slice(2);
const { handler } = await import(pathToFileURL(file).href);
const context = { awsRequestId: 'req-1', functionName: 'Scaffolded', getRemainingTimeInMillis: () => 3000 };
const result = await handler(JSON.parse(readFileSync(eventFile, 'utf8')), context);
writeFileSync(resultFile, JSON.stringify(result));
`;
const PYTHON_CALLER = `
import importlib.util, json, sys, types
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
context = types.SimpleNamespace(aws_request_id="req-1", function_name="Scaffolded")
with open(sys.argv[2]) as f:
    result = module.handler(json.load(f), context)
with open(sys.argv[3], "w") as f:
    json.dump(result, f)
`;

describe('scaffolded handlers run on their saved event', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'or-scaffold-'));
    writeFileSync(join(dir, 'call.mjs'), NODE_CALLER);
    writeFileSync(join(dir, 'call.py'), PYTHON_CALLER);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const expectations: Record<string, (result: Record<string, unknown>) => void> = {
    http: (r) => {
      assert.equal(r.statusCode, 200);
      assert.match((JSON.parse(String(r.body)) as { message: string }).message, /^Hello, \w+!$/);
    },
    'records-batch': (r) => assert.deepEqual(r, { batchItemFailures: [] }),
    records: (r) => assert.ok(typeof r.processed === 'number' && r.processed >= 1, `processed: ${JSON.stringify(r)}`),
    event: (r) => {
      assert.equal(r.ok, true);
      assert.equal(typeof r.detailType, 'string');
    },
    direct: (r) => {
      assert.equal(r.message, 'Hello from Scaffolded!');
      assert.equal(typeof r.received, 'object');
    },
  };

  for (const language of ['typescript', 'javascript', 'python'] as const) {
    for (const source of SCAFFOLD_SOURCES) {
      it(`${language} x ${source.id}`, () => {
        const plan = planFunction({ name: 'Scaffolded', language, source: source.id });
        const base = join(dir, `${language}-${source.id}`);
        const main = join(base, plan.mainFile);
        for (const f of plan.files) {
          execFileSync('mkdir', ['-p', join(base, f.path, '..')]);
          writeFileSync(join(base, f.path), f.content);
        }
        const eventFile = join(base, 'event.json');
        writeFileSync(eventFile, renderEventText(plan.eventTemplate));
        const resultFile = join(base, 'result.json');
        if (language === 'python') execFileSync('python3', [join(dir, 'call.py'), main, eventFile, resultFile], { stdio: 'pipe' });
        else execFileSync(process.execPath, [join(dir, 'call.mjs'), main, eventFile, resultFile], { stdio: 'pipe' });
        expectations[source.shape]!(JSON.parse(readFileSync(resultFile, 'utf8')) as Record<string, unknown>);
        // And the editor puts a lens above it.
        const lang = languageOfFile(main)!;
        assert.deepEqual(
          findHandlers(readFileSync(main, 'utf8'), lang).map((h) => h.exportName),
          ['handler'],
        );
      });
    }
  }

  it('Go and Rust handlers are found by the lens detector and carry a build note', () => {
    for (const language of ['go', 'rust', 'wasi'] as const satisfies readonly ScaffoldLanguage[]) {
      const plan = planFunction({ name: 'Built', language, source: 'queue' });
      assert.match(plan.buildNote ?? '', /Build it before invoking/);
      if (language === 'wasi') continue;
      const main = plan.files[0]!;
      assert.equal(findHandlers(main.content, languageOfFile(main.path)!).length, 1, main.content);
    }
  });
});

describe('names', () => {
  it('turns what the user typed into a logical id and a folder', () => {
    assert.equal(logicalIdFor('orders api'), 'OrdersApi');
    assert.equal(logicalIdFor('2fa-check'), 'Fn2faCheck');
    assert.equal(logicalIdFor('HTTP API function'), 'HttpApiFunction');
    assert.equal(logicalIdFor('OrdersAPI handler'), 'OrdersAPIHandler');
    assert.equal(folderNameFor('OrdersAPIHandler'), 'orders-api-handler');
    assert.equal(validateFunctionName('OrdersApi'), undefined);
    assert.match(validateFunctionName('orders-api') ?? '', /letters and digits.*OrdersApi/);
    assert.match(validateFunctionName('') ?? '', /Give the function a name/);
  });
  it('rejects unknown languages and sources with the valid choices', () => {
    assert.throws(() => planFunction({ name: 'X', language: 'cobol' as ScaffoldLanguage, source: 'queue' }), /typescript, javascript, python, go, rust, wasi/);
    assert.throws(() => planFunction({ name: 'X', language: 'python', source: 'carrier-pigeon' }), /http-api/);
  });
  it('offers six languages and every source maps to a catalogue event', () => {
    assert.equal(SCAFFOLD_LANGUAGES.length, 6);
    for (const s of SCAFFOLD_SOURCES) assert.doesNotThrow(() => renderEventText(s.eventTemplate), s.id);
  });
});

describe('template.yaml', () => {
  const examples = readFileSync(new URL('../../examples/template.yaml', import.meta.url), 'utf8');

  it('adds the function and its queue, keeping every other line of a real template', () => {
    const plan = planFunction({ name: 'OrderQueue', language: 'python', source: 'queue' });
    const { text, line } = addResourcesToTemplate(examples, plan.resources);
    const added = text.split('\n').filter((l) => !examples.split('\n').includes(l));
    const removed = examples.split('\n').filter((l) => !text.split('\n').includes(l));
    assert.deepEqual(removed, []);
    assert.ok(text.startsWith(examples.trimEnd()), 'the original text is untouched and comes first');
    assert.ok(
      added.some((l) => /^ {2}OrderQueue:$/.test(l)),
      added.join('\n'),
    );
    assert.ok(added.some((l) => /^ {2}OrderQueueQueue:$/.test(l)));
    assert.equal(text.split('\n')[line - 1], '  OrderQueue:');
    const doc = parseDocument(text).toJS({}) as { Resources: Record<string, { Properties?: Record<string, unknown> }> };
    assert.equal(doc.Resources.OrderQueue!.Properties!.Handler, 'app.handler');
    assert.equal(doc.Resources.OrderQueue!.Properties!.Runtime, 'python3.12');
    assert.ok(doc.Resources.HelloTs, 'existing functions are still there');
  });

  it('creates a template when there is none', () => {
    const plan = planFunction({ name: 'Hello', language: 'typescript', source: 'http-api' });
    const { text, line } = addResourcesToTemplate(undefined, plan.resources);
    assert.match(text, /^AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\n/);
    assert.equal(text.split('\n')[line - 1], '  Hello:');
  });

  it('adds Resources to a template that has none, and fills an empty one', () => {
    const plan = planFunction({ name: 'Hello', language: 'python', source: 'direct' });
    assert.match(
      addResourcesToTemplate("AWSTemplateFormatVersion: '2010-09-09'\n", plan.resources).text,
      /\nResources:\n {2}Hello:\n {4}Type: AWS::Serverless::Function/,
    );
    assert.match(addResourcesToTemplate('Resources:\n# later\n', plan.resources).text, /^Resources:\n {2}Hello:\n/);
  });

  it('keeps the indentation the template already uses', () => {
    const plan = planFunction({ name: 'Hello', language: 'python', source: 'direct' });
    const fourSpaces = 'Resources:\n    Existing:\n        Type: AWS::SNS::Topic\n';
    const { text } = addResourcesToTemplate(fourSpaces, plan.resources);
    assert.match(text, /\n {4}Hello:\n {8}Type: AWS::Serverless::Function\n/);
  });

  it('refuses a duplicate name and a broken template, changing nothing', () => {
    const plan = planFunction({ name: 'HelloTs', language: 'typescript', source: 'http-api' });
    assert.throws(() => addResourcesToTemplate(examples, plan.resources), /already has a resource named HelloTs/);
    assert.throws(() => addResourcesToTemplate('Resources:\n  A: [unclosed\n', plan.resources), /not valid YAML \(line \d+/);
  });

  it('writes the files, and discovery then finds the new function where the lens expects it', async () => {
    const ws = mkdtempSync(join(tmpdir(), 'or-scaffold-ws-'));
    try {
      copyFileSync(new URL('../../examples/template.yaml', import.meta.url), join(ws, 'template.yaml'));
      const plan = planFunction({ name: 'NewApi', language: 'typescript', source: 'http-api' });
      const result = await writeScaffold(ws, plan);
      assert.equal(result.templateCreated, false);
      assert.ok(existsSync(join(ws, 'functions/new-api/handler.ts')));
      const { functions } = await discoverFunctions(ws);
      const fn = functions.find((f) => f.name === 'NewApi');
      assert.ok(fn, `discovered: ${functions.map((f) => f.name).join(', ')}`);
      assert.equal(fn.handler, 'handler.handler');
      assert.equal(fn.source?.line, result.templateLine);
      await assert.rejects(writeScaffold(ws, planFunction({ name: 'NewApi', language: 'python', source: 'direct' })), /already has a resource named NewApi/);
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  });
});
