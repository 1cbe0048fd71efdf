// The built-in cloudevents middleware per event source: AWS events from the project's event catalogue become
// CloudEvents 1.0 (made and validated by the cloudevents SDK), and results map back to what each source expects.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CloudEvent, HTTP } from 'cloudevents';
import { renderEvent } from '../../runner/events/catalogue.ts';
import { runCloudEvents, toCloudEvents, type CloudEventsResult } from '../../runner/middleware/cloudevents.ts';

async function one(id: string, values?: Record<string, string>) {
  const { kind, events } = await toCloudEvents(renderEvent(id, values), 'Orders');
  assert.equal(events.length, 1);
  // Every event is a valid CloudEvent for the SDK itself.
  new CloudEvent(events[0] as never).validate();
  return { kind, ce: events[0] as Record<string, any> };
}

describe('AWS events as CloudEvents', () => {
  const cases: Array<[string, string, Record<string, unknown>]> = [
    [
      'sqs',
      'sqs',
      {
        source: 'arn:aws:sqs:us-east-1:123456789012:orders',
        type: 'com.amazonaws.sqs.message',
        datacontenttype: 'application/json',
        data: { orderId: '42', item: 'coffee', quantity: 2 },
      },
    ],
    [
      'sns',
      'sns',
      {
        source: 'arn:aws:sns:us-east-1:123456789012:order-events',
        type: 'com.amazonaws.sns.Notification',
        subject: 'Order placed',
        data: { orderId: '42', item: 'coffee', quantity: 2 },
      },
    ],
    [
      's3-put',
      's3',
      {
        source: 'aws:s3.us-east-1.orders-uploads',
        type: 'com.amazonaws.s3.ObjectCreated:Put',
        subject: 'invoices/2026/order+42.pdf',
        time: '2026-01-15T12:00:00.000Z',
      },
    ],
    [
      'kinesis',
      'kinesis',
      {
        source: 'arn:aws:kinesis:us-east-1:123456789012:stream/orders',
        type: 'com.amazonaws.kinesis.record',
        subject: 'customer-1001',
        data: { orderId: '42', item: 'coffee', quantity: 2 },
      },
    ],
    ['dynamodb-insert', 'dynamodb', { type: 'com.amazonaws.dynamodb.INSERT', subject: '{"orderId":{"S":"42"}}' }],
    ['eventbridge-custom', 'eventbridge', { source: 'com.example.orders', type: 'Order Placed', data: { orderId: '42', customerId: '1001', total: 19.5 } }],
    [
      'eventbridge-scheduled',
      'eventbridge',
      { source: 'aws.events', type: 'Scheduled Event', subject: 'arn:aws:events:us-east-1:123456789012:rule/nightly-report' },
    ],
    [
      'apigw-http',
      'http',
      {
        type: 'com.amazonaws.apigateway.request',
        source: 'https://r3pmxmplak.execute-api.us-east-1.amazonaws.com/orders/42',
        httpmethod: 'POST',
        data: { item: 'coffee', quantity: 2 },
      },
    ],
    ['apigw-rest-proxy', 'http', { type: 'com.amazonaws.apigateway.request', source: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/orders/42' }],
    ['function-url', 'http', { type: 'com.amazonaws.lambda.url.request' }],
    ['alb', 'alb', { type: 'com.amazonaws.elasticloadbalancing.request', source: 'https://orders-alb-1234567890.us-east-1.elb.amazonaws.com/orders' }],
    ['cloudwatch-logs', 'other', { type: 'com.amazonaws.lambda.invoke', source: 'urn:open-runtime:function:Orders' }],
  ];
  for (const [id, kind, expected] of cases) {
    test(id, async () => {
      const { kind: got, ce } = await one(id);
      assert.equal(got, kind);
      assert.equal(ce.specversion, '1.0');
      assert.ok(ce.id, 'has an id');
      for (const [key, value] of Object.entries(expected)) assert.deepEqual(ce[key], value, key);
    });
  }

  test('one CloudEvent per record of a batch, ids from the records', async () => {
    const event = renderEvent('sqs', { count: '4' }) as { Records: Array<{ messageId: string }> };
    const { events } = await toCloudEvents(event, 'Orders');
    assert.deepEqual(
      events.map((e) => e.id),
      event.Records.map((r) => r.messageId),
    );
  });

  test('an HTTP request that already is a CloudEvent (binary mode) is read as that CloudEvent', async () => {
    const sent = new CloudEvent({ source: 'https://shop.example/cart', type: 'com.example.cart.checkout', id: 'c-1', data: { items: 3 } });
    const message = HTTP.binary(sent);
    const event = { ...(renderEvent('apigw-http') as object), headers: message.headers, body: message.body as string };
    const { events } = await toCloudEvents(event, 'Orders');
    assert.deepEqual(
      { id: events[0]!.id, type: events[0]!.type, source: events[0]!.source, data: events[0]!.data },
      { id: 'c-1', type: 'com.example.cart.checkout', source: 'https://shop.example/cart', data: { items: 3 } },
    );
  });
});

describe('results mapped back', () => {
  const fail = (message: string): CloudEventsResult => ({ kind: 'error', error: { errorType: 'Error', errorMessage: message } });
  const ok = (value: unknown): CloudEventsResult => ({ kind: 'response', value });

  test('SQS: every record runs; failures become batchItemFailures', async () => {
    const event = renderEvent('sqs', { count: '3' }) as { Records: Array<{ messageId: string }> };
    const seen: string[] = [];
    const result = await runCloudEvents(
      event,
      'Orders',
      async (ce) => (seen.push(String(ce.id)), ce.id === event.Records[0]!.messageId ? fail('no') : ok(null)),
      () => undefined,
    );
    assert.equal(seen.length, 3);
    assert.deepEqual(result, { kind: 'response', value: { batchItemFailures: [{ itemIdentifier: event.Records[0]!.messageId }] } });
  });

  test('Kinesis and DynamoDB streams: stop at the first failure and report its sequence number', async () => {
    const kinesis = renderEvent('kinesis', { count: '3' }) as { Records: Array<{ kinesis: { sequenceNumber: string } }> };
    let calls = 0;
    const result = await runCloudEvents(
      kinesis,
      'Orders',
      async () => (++calls === 2 ? fail('bad record') : ok(1)),
      () => undefined,
    );
    assert.equal(calls, 2);
    assert.deepEqual(result, { kind: 'response', value: { batchItemFailures: [{ itemIdentifier: kinesis.Records[1]!.kinesis.sequenceNumber }] } });
    const dynamo = renderEvent('dynamodb-insert') as { Records: Array<{ dynamodb: { SequenceNumber: string } }> };
    const failed = await runCloudEvents(
      dynamo,
      'Orders',
      async () => fail('x'),
      () => undefined,
    );
    assert.deepEqual(failed, { kind: 'response', value: { batchItemFailures: [{ itemIdentifier: dynamo.Records[0]!.dynamodb.SequenceNumber }] } });
  });

  test('SNS and S3: a failed record fails the invocation; results come back as they are', async () => {
    assert.deepEqual(
      await runCloudEvents(
        renderEvent('sns'),
        'Orders',
        async () => ok({ done: true }),
        () => undefined,
      ),
      { kind: 'response', value: { done: true } },
    );
    const s3 = renderEvent('s3-put') as { Records: unknown[] };
    const two = { Records: [s3.Records[0], s3.Records[0]] };
    const result = await runCloudEvents(
      two,
      'Orders',
      async (ce) => (ce.subject ? fail('cannot read') : ok(1)),
      () => undefined,
    );
    assert.deepEqual(result, { kind: 'error', error: { errorType: 'Error', errorMessage: 'Record 1 of 2: cannot read' } });
  });

  test('HTTP: a CloudEvent answer goes back in binary mode, a plain value as a JSON response', async () => {
    const asCe = await runCloudEvents(
      renderEvent('apigw-http'),
      'Orders',
      async () => ok({ specversion: '1.0', id: 'r-1', source: '/orders', type: 'com.example.order.accepted', data: { ok: true } }),
      () => undefined,
    );
    assert.equal(asCe.kind, 'response');
    const response = (asCe as { value: { statusCode: number; headers: Record<string, string>; body: string } }).value;
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['ce-type'], 'com.example.order.accepted');
    assert.deepEqual(JSON.parse(response.body), { ok: true });
    const plain = await runCloudEvents(
      renderEvent('apigw-http'),
      'Orders',
      async () => ok({ total: 3 }),
      () => undefined,
    );
    assert.deepEqual(plain, { kind: 'response', value: { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"total":3}' } });
    const http = await runCloudEvents(
      renderEvent('apigw-http'),
      'Orders',
      async () => ok({ statusCode: 204 }),
      () => undefined,
    );
    assert.deepEqual(http, { kind: 'response', value: { statusCode: 204 } });
  });

  test('a failure of the chain itself is passed on untouched', async () => {
    const failed: CloudEventsResult = { kind: 'failed', error: { errorType: 'Middleware.Failed', errorMessage: 'broken' } };
    assert.deepEqual(
      await runCloudEvents(
        renderEvent('sqs', { count: '2' }),
        'Orders',
        async () => failed,
        () => undefined,
      ),
      failed,
    );
  });
});
