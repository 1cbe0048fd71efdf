// The JUnit XML of `open-runtime test`: counts per suite, times in seconds, paths relative to the workspace, and any
// text a function logs (ANSI colours, NUL, lone surrogates, markup) kept well-formed XML, read back by a strict parser.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { EventTestResult } from '../../runner/events/event-tests.ts';
import { junitXml } from '../../runner/events/junit.ts';

// xml2js comes with @vscode/vsce (a dev dependency) and has no types.
const { parseStringPromise } = createRequire(import.meta.url)('xml2js') as {
  parseStringPromise(xml: string, options: { strict: boolean }): Promise<any>;
};

const ws = path.resolve('/projects/shop');
const result = (fn: string, event: string, status: EventTestResult['status'], extra: Partial<EventTestResult> = {}): EventTestResult => ({
  function: fn,
  event,
  file: path.join(ws, '.open-runtime', 'events', fn, `${event}.json`),
  status,
  message: status === 'passed' ? 'matches' : 'went wrong',
  expectation: 'exact',
  durationMs: 12,
  logs: '',
  ...extra,
});

describe('junitXml', () => {
  it('one testsuite per function, one testcase per event, failures and errors counted', async () => {
    const xml = junitXml(
      [
        result('Orders', 'big order', 'passed'),
        result('Orders', 'no id', 'failed', {
          message: '$.statusCode: expected 400, got 500',
          verdict: { passed: false, summary: '$.statusCode: expected 400, got 500', problems: ['$.statusCode: expected 400, got 500'], diff: '- 400\n+ 500' },
        }),
        result('Users', 'list', 'error', { message: 'users/list.expected.json is not valid JSON' }),
      ],
      { workspaceDir: ws, startedAt: new Date('2026-12-02T10:00:00.123Z') },
    );
    const { testsuites } = await parseStringPromise(xml, { strict: true });
    assert.deepEqual(
      { ...testsuites.$ },
      {
        name: 'open-runtime test',
        tests: '3',
        failures: '1',
        errors: '1',
        skipped: '0',
        time: '0.036',
        timestamp: '2026-12-02T10:00:00',
      },
    );
    const [orders, users] = testsuites.testsuite;
    assert.equal(orders.$.name, 'Orders');
    assert.equal(orders.$.tests, '2');
    assert.equal(orders.$.failures, '1');
    assert.equal(users.$.errors, '1');
    const [big, noId] = orders.testcase;
    assert.deepEqual({ ...big.$ }, { name: 'big order', classname: 'Orders', file: '.open-runtime/events/Orders/big order.json', time: '0.012' });
    assert.equal(noId.failure[0].$.message, '$.statusCode: expected 400, got 500');
    assert.equal(noId.failure[0]._, '$.statusCode: expected 400, got 500\n\n- 400\n+ 500');
    assert.equal(users.testcase[0].error[0].$.message, 'users/list.expected.json is not valid JSON');
  });

  it('keeps any log text well-formed: escape codes and NUL replaced, markup escaped', async () => {
    const logs = 'colour \u001b[31mred\u001b[0m, nul \u0000, lone \ud800 surrogate, <b>&amp;</b> ]]> "quoted" \u{1F600}';
    const xml = junitXml([result('Fn', 'e', 'failed', { message: 'expected <a> & "b"\nnext', logs })], { workspaceDir: ws, startedAt: new Date() });
    const { testsuites } = await parseStringPromise(xml, { strict: true });
    const testcase = testsuites.testsuite[0].testcase[0];
    assert.equal(testcase['system-out'][0], 'colour \uFFFD[31mred\uFFFD[0m, nul \uFFFD, lone \uFFFD surrogate, <b>&amp;</b> ]]> "quoted" \u{1F600}');
    assert.equal(testcase.failure[0].$.message, 'expected <a> & "b"\nnext');
  });
});
