// The events that fit a function: its project's events/*.json, its declared triggers' templates first (with the
// declared route filled in), and a hint when an event's source is not a declared trigger.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverFunctions } from '../../runner/functions/discover.ts';
import { declaredFieldValues, projectEvents, triggerMismatch, triggerTemplates } from '../../runner/events/for-function.ts';
import { findEventTemplate, renderEvent } from '../../runner/events/catalogue.ts';

const sam = (events: string) => `Transform: AWS::Serverless-2016-10-31
Resources:
  HelloWorldFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs22.x
      Handler: app.lambdaHandler
      Events:
${events}`;

async function workspace(): Promise<{ dir: string; byPath: (p: string) => import('../../runner/functions/model.ts').FunctionSpec }> {
  const dir = mkdtempSync(join(tmpdir(), 'open-runtime-for-function-'));
  const put = (path: string, text: string) => {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
  };
  put(
    join(dir, 'queue', 'template.yaml'),
    sam('        Queue:\n          Type: SQS\n          Properties:\n            Queue: arn:aws:sqs:us-east-1:123456789012:q\n'),
  );
  put(join(dir, 'queue', 'events', 'message.json'), '{"Records":[]}');
  put(join(dir, 'queue', 'events', 'notes.txt'), 'not an event');
  put(
    join(dir, 'http', 'template.yaml'),
    sam('        Hello:\n          Type: HttpApi\n          Properties:\n            Path: /hello/{name}\n            Method: get\n'),
  );
  put(
    join(dir, 'rest', 'template.yaml'),
    sam('        Hello:\n          Type: Api\n          Properties:\n            Path: /hello\n            Method: post\n'),
  );
  const { functions, errors } = await discoverFunctions(dir);
  assert.deepEqual(errors, []);
  return { dir, byPath: (p) => functions.find((f) => f.path === p)! };
}

test('the function declares its triggers, and their templates come in that order', async () => {
  const { dir, byPath } = await workspace();
  try {
    assert.deepEqual(byPath('queue/HelloWorldFunction').triggers, ['SQS']);
    assert.deepEqual(
      triggerTemplates(byPath('queue/HelloWorldFunction')).map((t) => t.id),
      ['sqs', 'sqs-fifo', 's3-put-via-sqs'],
    );
    assert.deepEqual(
      triggerTemplates(byPath('http/HelloWorldFunction')).map((t) => t.id),
      ['apigw-http', 'apigw-http-jwt', 'apigw-http-authorizer'],
    );
    assert.equal(triggerTemplates(byPath('rest/HelloWorldFunction'))[0]!.id, 'apigw-rest-proxy');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the project's events/*.json are offered, other files are not", async () => {
  const { dir, byPath } = await workspace();
  try {
    assert.deepEqual(await projectEvents(byPath('queue/HelloWorldFunction')), [{ name: 'message', path: join(dir, 'queue', 'events', 'message.json') }]);
    // One events/ folder for several functions: this function's trigger's events first, other sources last.
    const events = join(dir, 'http', 'events');
    mkdirSync(events, { recursive: true });
    writeFileSync(join(events, 'a-queue.json'), JSON.stringify(renderEvent('sqs')));
    writeFileSync(join(events, 'b-plain.json'), '{"name":"Ada"}');
    writeFileSync(join(events, 'c-hello.json'), JSON.stringify(renderEvent('apigw-http')));
    assert.deepEqual(
      (await projectEvents(byPath('http/HelloWorldFunction'))).map((e) => [e.name, e.trigger, e.fits]),
      [
        ['c-hello', 'HttpApi', true],
        ['b-plain', undefined, undefined],
        ['a-queue', 'SQS', false],
      ],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an HTTP template is filled with the declared method and route', async () => {
  const { dir, byPath } = await workspace();
  try {
    const http = byPath('http/HelloWorldFunction');
    const values = declaredFieldValues(http, findEventTemplate('apigw-http')!);
    assert.deepEqual(values, { method: 'GET', route: '/hello/{name}', path: '/hello/name' });
    const event = renderEvent('apigw-http', values) as { routeKey: string; rawPath: string };
    assert.equal(event.routeKey, 'GET /hello/{name}');
    assert.deepEqual(declaredFieldValues(byPath('rest/HelloWorldFunction'), findEventTemplate('apigw-rest-proxy')!), {
      method: 'POST',
      resource: '/hello',
      path: '/hello',
    });
    assert.deepEqual(declaredFieldValues(byPath('queue/HelloWorldFunction'), findEventTemplate('sqs')!), {});
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an event from another source than the declared trigger gets a one-line hint; a fitting one none', async () => {
  const { dir, byPath } = await workspace();
  try {
    const http = byPath('http/HelloWorldFunction');
    assert.equal(
      triggerMismatch(http, renderEvent('sqs')),
      'This is an SQS event, but http/HelloWorldFunction is triggered by API Gateway HTTP API: the handler may not expect its shape.',
    );
    assert.equal(triggerMismatch(http, renderEvent('apigw-http')), undefined);
    assert.equal(triggerMismatch(byPath('queue/HelloWorldFunction'), renderEvent('sqs')), undefined);
    assert.match(
      triggerMismatch(byPath('queue/HelloWorldFunction'), renderEvent('apigw-rest-proxy'))!,
      /^This is an API Gateway REST API event, but queue\/HelloWorldFunction is triggered by SQS/,
    );
    assert.equal(triggerMismatch(http, { anything: 1 }), undefined, 'an unknown shape says nothing');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
