// Telemetry API 2022-07-01, end to end: the recorder extension subscribes (PUT /2022-07-01/telemetry) with a
// destination on an HTTP listener this test runs, addressed as sandbox.localdomain the way Lambda extensions do,
// and the runner delivers platform and function events there in batches.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { NODE_BOOTSTRAP_DIR, readRecords, RECORDER_LAYER, removeTemps, startRunner, tempDir, waitFor, writeTemplate, type Runner } from './support/runner.ts';

interface TelemetryEvent {
  time: string;
  type: string;
  record: any;
}

let runner: Runner;
let destination: Server;
let recordFile: string;
const batches: Array<{ path: string | undefined; contentType: string | undefined; body: unknown }> = [];

before(async () => {
  destination = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      batches.push({ path: req.url, contentType: req.headers['content-type'], body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => destination.listen(0, '127.0.0.1', () => resolve()));
  const port = (destination.address() as AddressInfo).port;

  const work = tempDir('telemetry');
  recordFile = join(work, 'records.jsonl');
  const template = writeTemplate(work, [
    {
      name: 'Telemetered',
      codeUri: NODE_BOOTSTRAP_DIR,
      layers: [RECORDER_LAYER],
      environment: { RECORD_FILE: recordFile, TELEMETRY_URI: `http://sandbox.localdomain:${port}/telemetry` },
    },
    // Tenant-isolated: one subscriber takes the default schema (2025-01-29), the other asks for 2022-12-13.
    ...(['default', 'old'] as const).map((kind) => ({
      name: kind === 'default' ? 'TenantTelemetry' : 'TenantOldSchema',
      codeUri: NODE_BOOTSTRAP_DIR,
      layers: [RECORDER_LAYER],
      perTenant: true,
      environment: {
        RECORD_FILE: join(work, `records-${kind}.jsonl`),
        TELEMETRY_URI: `http://sandbox.localdomain:${port}/tenant-${kind}`,
        TELEMETRY_SCHEMA: kind === 'default' ? 'none' : '2022-12-13',
      },
    })),
  ]);
  runner = await startRunner(template);
});

after(async () => {
  await runner?.stop();
  destination?.closeAllConnections();
  await new Promise<void>((resolve) => destination?.close(() => resolve()));
  removeTemps();
});

const delivered = (path = '/telemetry'): TelemetryEvent[] => batches.filter((b) => b.path === path).flatMap((b) => b.body as TelemetryEvent[]);

test("platform and function events reach the subscriber's destination in batches", async () => {
  // The function logs, then works a while: its start and its end fall into different buffering windows (25 ms).
  const reply = await runner.invoke('Telemetered', { log: ['a line for the telemetry subscriber'], sleepMs: 300 });
  assert.equal(reply.status, 200, reply.text);
  assert.equal(reply.headers['x-amz-function-error'], undefined, reply.text);
  const requestId = String(reply.headers['x-amzn-requestid']);
  await waitFor('platform.report of the invoke at the destination', () =>
    delivered().some((e) => e.type === 'platform.report' && e.record?.requestId === requestId),
  );

  for (const batch of batches.filter((b) => b.path === '/telemetry')) {
    assert.match(batch.contentType ?? '', /^application\/json/);
    assert.ok(Array.isArray(batch.body), 'each delivery is a JSON array of events');
    for (const event of batch.body as TelemetryEvent[]) {
      assert.ok(!Number.isNaN(Date.parse(event.time)), `ISO time in ${JSON.stringify(event)}`);
      assert.equal(typeof event.type, 'string');
    }
  }
  assert.ok(batches.length >= 2, `events arrive in several batches, got ${batches.length}`);

  const events = delivered();
  const find = (type: string) => events.find((e) => e.type === type && (e.record?.requestId === undefined || e.record.requestId === requestId));
  const initStart = find('platform.initStart');
  assert.ok(initStart, 'platform.initStart (from before the subscription) is delivered');
  assert.equal(initStart.record.functionName, 'Telemetered');
  assert.equal(initStart.record.initializationType, 'on-demand');

  const start = find('platform.start');
  assert.equal(start?.record.requestId, requestId);
  const runtimeDone = find('platform.runtimeDone');
  assert.equal(runtimeDone?.record.requestId, requestId);
  assert.equal(runtimeDone?.record.status, 'success');
  const report = find('platform.report');
  assert.equal(report?.record.status, 'success');
  const { metrics } = report!.record;
  assert.equal(typeof metrics.durationMs, 'number');
  assert.ok(metrics.billedDurationMs >= metrics.durationMs);
  assert.equal(metrics.memorySizeMB, 128);
  assert.ok(metrics.maxMemoryUsedMB > 0);
  assert.ok(metrics.initDurationMs > 0, 'the cold invoke reports its init duration');

  const log = events.find((e) => e.type === 'function' && String(e.record).includes('a line for the telemetry subscriber'));
  assert.ok(log, `the function's log line is delivered as a function event: ${JSON.stringify(events.filter((e) => e.type === 'function'))}`);

  const order = [start, log, runtimeDone, report].map((e) => events.indexOf(e!));
  assert.deepEqual(
    [...order].sort((a, b) => a - b),
    order,
    'start, function log, runtimeDone, report arrive in order',
  );

  const subscription = find('platform.telemetrySubscription');
  assert.deepEqual(subscription?.record, { name: 'recorder', state: 'Subscribed', types: ['platform', 'function', 'extension'] });
});

test('the subscription answers: 200 for a good body, 400 with a clear message for a bad one, 403 for an unknown extension', async () => {
  await waitFor('the extension to try its subscriptions', () => readRecords(recordFile).some((r) => r.kind === 'subscribe-unknown-extension'));
  const reply = (kind: string) => readRecords(recordFile).find((r) => r.kind === kind)!.reply as { status: number; body: string };

  assert.equal(reply('subscribe').status, 200, reply('subscribe').body);

  const badBuffering = reply('subscribe-bad-buffering');
  assert.equal(badBuffering.status, 400);
  const badBufferingBody = JSON.parse(badBuffering.body);
  assert.equal(badBufferingBody.errorType, 'ValidationError');
  assert.match(badBufferingBody.errorMessage, /buffering\.timeoutMs/, 'the message names the bad field');
  assert.match(badBufferingBody.errorMessage, /25/, 'and the allowed minimum');

  const notJson = reply('subscribe-not-json');
  assert.equal(notJson.status, 400);
  assert.match(JSON.parse(notJson.body).errorMessage, /JSON/i);

  assert.equal(reply('subscribe-unknown-extension').status, 403, reply('subscribe-unknown-extension').body);
});

test('schema 2025-01-29 is the default and carries the tenant on platform events; a 2022-12-13 subscriber gets them without it', async () => {
  for (const [name, path, withTenant] of [
    ['TenantTelemetry', '/tenant-default', true],
    ['TenantOldSchema', '/tenant-old', false],
  ] as const) {
    const reply = await runner.invoke(name, { log: ['tenant work'] }, { 'X-Amz-Tenant-Id': 'blue' });
    assert.equal(reply.status, 200, reply.text);
    const requestId = String(reply.headers['x-amzn-requestid']);
    await waitFor(`platform.report of ${name}`, () => delivered(path).some((e) => e.type === 'platform.report' && e.record?.requestId === requestId));
    for (const type of ['platform.start', 'platform.runtimeDone', 'platform.report']) {
      const event = delivered(path).find((e) => e.type === type && e.record?.requestId === requestId);
      assert.ok(event, `${type} of ${name}`);
      if (withTenant) assert.equal(event.record.tenantId, 'blue', `${type} carries the tenant in schema 2025-01-29`);
      else assert.equal('tenantId' in event.record, false, `${type} has no tenantId in schema 2022-12-13`);
    }
  }
});
