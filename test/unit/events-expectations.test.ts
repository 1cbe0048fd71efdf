// Saved events as tests: the expectation format, the one comparison rule (exact, subset, error type), snapshots, and
// the files beside the events (an expectation is never listed as an event).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  checkOutcome,
  expectationPathOf,
  lineDiff,
  parseExpectation,
  readExpectation,
  snapshotOf,
  writeExpectation,
  type Expectation,
} from '../../runner/events/expectations.ts';
import { checkEventName, listSavedEvents, saveEvent } from '../../runner/events/saved.ts';

const httpResponse = (message: string, extra: Record<string, unknown> = {}) => ({
  payload: JSON.stringify({
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message, requestId: 'c0ffee', at: '2026-12-02T19:00:00Z', ...extra }),
  }),
});

const parse = (text: string): Expectation => {
  const read = parseExpectation(text);
  assert.equal(read.kind, 'ok', JSON.stringify(read));
  return (read as { expectation: Expectation }).expectation;
};

describe('expectations: the comparison', () => {
  it('an event without an expectation passes when the invocation does not fail, and fails when it does', () => {
    const ok = checkOutcome(undefined, { payload: '{"a":1}' });
    assert.equal(ok.passed, true);
    assert.match(ok.summary, /no expectation/);
    const failed = checkOutcome(undefined, { payload: '{}', error: { errorType: 'Runtime.ExitError', errorMessage: 'exit status 1' } });
    assert.equal(failed.passed, false);
    assert.match(failed.summary, /Runtime\.ExitError: exit status 1/);
  });

  it('exact: equal JSON passes whatever the key order; a changed, missing or extra field fails at its path', () => {
    const expectation = parse('{ "match": "exact", "response": { "b": [1, 2], "a": "x" } }');
    assert.equal(checkOutcome(expectation, { payload: '{"a":"x","b":[1,2]}' }).passed, true);
    const changed = checkOutcome(expectation, { payload: '{"a":"y","b":[1,2],"c":true}' });
    assert.equal(changed.passed, false);
    assert.deepEqual(changed.problems, ['$.a: expected "x", got "y"', '$.c: not expected (got true)']);
    const shorter = checkOutcome(expectation, { payload: '{"a":"x","b":[1]}' });
    assert.deepEqual(shorter.problems, ['$.b: expected 2 items, got 1']);
  });

  it('match defaults to exact', () => {
    const expectation = parse('{ "response": { "a": 1 } }');
    assert.equal(expectation.match, 'exact');
    assert.equal(checkOutcome(expectation, { payload: '{"a":1,"b":2}' }).passed, false);
  });

  it('subset: only the fields written must be there, so ids and timestamps can be left out', () => {
    const expectation = parse('{ "match": "subset", "response": { "statusCode": 200, "body": { "message": "Hello, Ada!" } } }');
    const pass = checkOutcome(expectation, httpResponse('Hello, Ada!'));
    assert.equal(pass.passed, true, pass.problems.join('\n'));
    const fail = checkOutcome(expectation, httpResponse('Hello, Bob!'));
    assert.equal(fail.passed, false);
    assert.deepEqual(fail.problems, ['$.body.message: expected "Hello, Ada!", got "Hello, Bob!"']);
    // The diff view shows the actual response cut down to the expected fields: only the real difference differs.
    assert.equal(fail.expected, JSON.stringify({ statusCode: 200, body: { message: 'Hello, Ada!' } }, null, 2));
    assert.equal(fail.actual, JSON.stringify({ statusCode: 200, body: { message: 'Hello, Bob!' } }, null, 2));
    assert.match(fail.diff!, /^- {5}"message": "Hello, Ada!"$/m);
    assert.match(fail.diff!, /^\+ {5}"message": "Hello, Bob!"$/m);
    const missing = checkOutcome(parse('{ "match": "subset", "response": { "body": { "total": 3 } } }'), httpResponse('x'));
    assert.deepEqual(missing.problems, ['$.body.total: missing (expected 3)']);
  });

  it('subset applies inside arrays item by item, and arrays keep their length', () => {
    const expectation = parse('{ "match": "subset", "response": { "items": [ { "id": 1 }, { "id": 2 } ] } }');
    assert.equal(checkOutcome(expectation, { payload: '{"items":[{"id":1,"x":0},{"id":2,"y":0}]}' }).passed, true);
    assert.deepEqual(checkOutcome(expectation, { payload: '{"items":[{"id":1}]}' }).problems, ['$.items: expected 2 items, got 1']);
    assert.deepEqual(checkOutcome(expectation, { payload: '{"items":{"id":1}}' }).problems, ['$.items: expected an array, got {"id":1}']);
  });

  it('a string that is not JSON where an object is expected fails with what it got', () => {
    const verdict = checkOutcome(parse('{ "match": "subset", "response": { "body": { "a": 1 } } }'), { payload: '{"body":"plain text"}' });
    assert.deepEqual(verdict.problems, ['$.body: expected an object, got "plain text"']);
  });

  it('a response that is not JSON is compared as text', () => {
    assert.equal(checkOutcome(parse('{ "response": "pong" }'), { payload: 'pong' }).passed, true);
    assert.deepEqual(checkOutcome(parse('{ "response": "pong" }'), { payload: 'ping' }).problems, ['$: expected "pong", got "ping"']);
  });

  it('errorType: the invocation must fail with that type (and message, when given)', () => {
    const expectation = parse('{ "errorType": "OrderNotFound", "errorMessage": "no order 42" }');
    const error = (errorType: string, errorMessage: string) => ({ payload: JSON.stringify({ errorType, errorMessage }), error: { errorType, errorMessage } });
    const pass = checkOutcome(expectation, error('OrderNotFound', 'no order 42'));
    assert.equal(pass.passed, true);
    assert.match(pass.summary, /fails with OrderNotFound as expected/);
    assert.deepEqual(checkOutcome(expectation, error('TypeError', 'x is undefined')).problems, [
      'expected error type OrderNotFound, got TypeError (x is undefined)',
      'expected error message "no order 42", got "x is undefined"',
    ]);
    const succeeded = checkOutcome(expectation, { payload: '{"ok":true}' });
    assert.deepEqual(succeeded.problems, ['expected the invocation to fail with OrderNotFound, and it succeeded']);
    assert.ok(succeeded.diff, 'a diff of expected error and actual response');
  });

  it('a response expectation fails when the invocation fails, saying how', () => {
    const verdict = checkOutcome(parse('{ "match": "subset", "response": { "ok": true } }'), {
      payload: '{"errorType":"Error","errorMessage":"boom"}',
      error: { errorType: 'Error', errorMessage: 'boom' },
    });
    assert.equal(verdict.passed, false);
    assert.equal(verdict.problems[0], 'the invocation failed: Error: boom');
  });
});

describe('expectations: the file format', () => {
  it('refuses unknown fields and bad values with a sentence, not an exception', () => {
    const typo = parseExpectation('{ "respnse": {} }', 'x.expected.json');
    assert.equal(typo.kind, 'invalid');
    assert.match(
      (typo as { message: string }).message,
      /^x\.expected\.json: .*"match" \("exact" or "subset"\), "response", "errorType" and "errorMessage" only\./,
    );
    const badMatch = parseExpectation('{ "match": "loose", "response": {} }', 'x.expected.json');
    assert.equal(badMatch.kind, 'invalid');
    assert.match((badMatch as { message: string }).message, /at "match"/);
    const notJson = parseExpectation('{ "match": ', 'x.expected.json');
    assert.equal(notJson.kind, 'invalid');
    assert.match((notJson as { message: string }).message, /not valid JSON/);
  });

  it('a response of null is an expectation of null, not of nothing', () => {
    const expectation = parse('{ "response": null }');
    assert.equal(checkOutcome(expectation, { payload: 'null' }).passed, true);
    assert.equal(checkOutcome(expectation, { payload: '{}' }).passed, false);
  });

  it('snapshots store a JSON body parsed, and match the response they were taken from', () => {
    const outcome = httpResponse('Hello, Ada!');
    const snapshot = snapshotOf(outcome);
    assert.deepEqual(snapshot, {
      match: 'exact',
      response: {
        statusCode: 200,
        headers: { 'content-type': 'application/json' },
        body: { message: 'Hello, Ada!', requestId: 'c0ffee', at: '2026-12-02T19:00:00Z' },
      },
    });
    assert.equal(checkOutcome(snapshot, outcome).passed, true);
    assert.deepEqual(checkOutcome(snapshot, httpResponse('Hello, Ada!', { extra: 1 })).problems, ['$.body.extra: not expected (got 1)']);
    const errorSnapshot = snapshotOf({ payload: '{}', error: { errorType: 'Runtime.ExitError', errorMessage: 'exit status 3' } });
    assert.deepEqual(errorSnapshot, { match: 'exact', errorType: 'Runtime.ExitError', errorMessage: 'exit status 3' });
  });
});

describe('expectations: files beside the saved events', () => {
  let workspace: string;
  beforeEach(async () => {
    workspace = await mkdtemp(path.join(tmpdir(), 'open-runtime-expectations-'));
  });
  afterEach(async () => {
    await rm(workspace, { recursive: true, force: true });
  });

  it('lives in <name>.expected.json, is not listed as an event, and reads back what was written', async () => {
    const saved = await saveEvent(workspace, 'HelloTs', 'ada', '{"name":"Ada"}');
    assert.equal(expectationPathOf(saved.path), path.join(workspace, '.open-runtime', 'events', 'HelloTs', 'ada.expected.json'));
    assert.deepEqual(await readExpectation(saved.path), { kind: 'none' });
    const file = await writeExpectation(saved.path, { match: 'subset', response: { statusCode: 200 } });
    const text = await readFile(file, 'utf8');
    assert.equal(text, '{\n  "match": "subset",\n  "response": {\n    "statusCode": 200\n  }\n}\n');
    const read = await readExpectation(saved.path);
    assert.equal(read.kind, 'ok');
    assert.deepEqual(
      (await listSavedEvents(workspace, 'HelloTs')).map((e) => e.name),
      ['ada'],
    );
    await writeFile(file, '{ nope');
    assert.equal((await readExpectation(saved.path)).kind, 'invalid');
  });

  it('an event cannot be named like an expectation', () => {
    assert.throws(() => checkEventName('ada.expected'), /cannot end with "\.expected"/);
    assert.equal(checkEventName('ada.expected-later'), 'ada.expected-later');
  });
});

describe('lineDiff', () => {
  it('marks removed and added lines and keeps three lines of context', () => {
    const a = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'].join('\n');
    const b = ['1', '2', '3', '4', '5', 'six', '7', '8', '9', '10'].join('\n');
    assert.equal(lineDiff(a, b), ['  ...', '  3', '  4', '  5', '- 6', '+ six', '  7', '  8', '  9', '  ...'].join('\n'));
    assert.equal(lineDiff('same', 'same'), '  same');
  });
});
