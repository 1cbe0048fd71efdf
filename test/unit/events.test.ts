// The event catalogue against the Powertools parser's zod schemas (an independent description of each AWS
// event), plus the details a schema cannot see: user values landing in the right places, real encodings.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import * as schemas from '@aws-lambda-powertools/parser/schemas';
import type { ZodType } from 'zod';
import { describeEventTemplates, findEventTemplate, listEventTemplates, renderEvent, renderEventText } from '../../runner/events/catalogue.ts';
import { sqsMessageAttributesMd5 } from '../../runner/events/aws-values.ts';

/** Template id -> the Powertools schema its default rendering must satisfy. */
const SCHEMA_FOR: Record<string, ZodType> = {
  'apigw-rest-proxy': schemas.APIGatewayProxyEventSchema,
  'apigw-rest-proxy-cognito': schemas.APIGatewayProxyEventSchema,
  'apigw-rest-authorizer-token': schemas.APIGatewayTokenAuthorizerEventSchema,
  'apigw-rest-authorizer-request': schemas.APIGatewayRequestAuthorizerEventSchema,
  'apigw-http': schemas.APIGatewayProxyEventV2Schema,
  'apigw-http-jwt': schemas.APIGatewayProxyEventV2Schema,
  'apigw-http-authorizer': schemas.APIGatewayRequestAuthorizerEventV2Schema,
  'apigw-websocket-authorizer': schemas.APIGatewayProxyWebsocketEventSchema,
  alb: schemas.AlbSchema,
  'alb-multi-value': schemas.AlbMultiValueHeadersSchema,
  'function-url': schemas.LambdaFunctionUrlSchema,
  'vpc-lattice': schemas.VpcLatticeV2Schema,
  sqs: schemas.SqsSchema,
  'sqs-fifo': schemas.SqsSchema,
  sns: schemas.SnsSchema,
  'eventbridge-custom': schemas.EventBridgeSchema,
  'eventbridge-scheduled': schemas.EventBridgeSchema,
  'eventbridge-scheduler': schemas.EventBridgeSchema,
  kinesis: schemas.KinesisDataStreamSchema,
  'kinesis-firehose': schemas.KinesisFirehoseSchema,
  'kinesis-firehose-stream-source': schemas.KinesisFirehoseSchema,
  msk: schemas.KafkaMskEventSchema,
  'kafka-self-managed': schemas.KafkaSelfManagedEventSchema,
  's3-put': schemas.S3Schema,
  's3-delete': schemas.S3Schema,
  's3-put-via-sqs': schemas.S3SqsEventNotificationSchema,
  's3-eventbridge-object-created': schemas.S3EventNotificationEventBridgeSchema,
  's3-object-lambda': schemas.S3ObjectLambdaEventSchema,
  'dynamodb-insert': schemas.DynamoDBStreamSchema,
  'dynamodb-modify': schemas.DynamoDBStreamSchema,
  'dynamodb-remove': schemas.DynamoDBStreamSchema,
  'transfer-family-authorizer': schemas.TransferFamilySchema,
  'cognito-pre-sign-up': schemas.PreSignupTriggerSchema,
  'cognito-post-confirmation': schemas.PostConfirmationTriggerSchema,
  'cognito-pre-authentication': schemas.PreAuthenticationTriggerSchema,
  'cognito-post-authentication': schemas.PostAuthenticationTriggerSchema,
  'cognito-pre-token-generation': schemas.PreTokenGenerationTriggerSchemaV1,
  'cognito-pre-token-generation-v2': schemas.PreTokenGenerationTriggerSchemaV2AndV3,
  'cognito-custom-message': schemas.CustomMessageTriggerSchema,
  'cognito-define-auth-challenge': schemas.DefineAuthChallengeTriggerSchema,
  'cognito-create-auth-challenge': schemas.CreateAuthChallengeTriggerSchema,
  'cognito-verify-auth-challenge': schemas.VerifyAuthChallengeTriggerSchema,
  'cognito-user-migration': schemas.MigrateUserTriggerSchema,
  'appsync-resolver': schemas.AppSyncResolverSchema,
  'appsync-events-publish': schemas.AppSyncEventsPublishSchema,
  'ses-receive': schemas.SesSchema,
  'cloudwatch-logs': schemas.CloudWatchLogsSchema,
  'cloudformation-create': schemas.CloudFormationCustomResourceCreateSchema,
  'cloudformation-update': schemas.CloudFormationCustomResourceUpdateSchema,
  'cloudformation-delete': schemas.CloudFormationCustomResourceDeleteSchema,
};

/** Templates Powertools has no schema for (checked by the targeted tests below and, where
 * @types/aws-lambda describes them accurately, by the render functions' return types). */
const WITHOUT_SCHEMA = new Set([
  'apigw-websocket-connect', // Powertools' WebSocket schema is the $connect *authorizer* event (type, methodArn)
  'apigw-websocket-message',
  'apigw-websocket-disconnect',
  'mq-activemq',
  'mq-rabbitmq',
  'cloudevents',
  's3-batch',
  'cloudfront-viewer-request',
  'cloudfront-viewer-response',
  'cloudfront-origin-request',
  'cloudfront-origin-response',
  'lex-v2',
  'cloudwatch-alarm',
  'config-rule',
  'codepipeline-job',
  'secrets-manager-rotation',
  'stepfunctions-task',
  'stepfunctions-task-token',
  'iot-rule',
]);

const ids = listEventTemplates().map((t) => t.id);

function parseWith(schema: ZodType, event: unknown): unknown {
  const result = schema.safeParse(event);
  if (!result.success) {
    assert.fail(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'));
  }
  return result.data;
}

describe('event catalogue', () => {
  it('has at least 45 templates with unique ids, each either mapped to a schema or listed as schema-less', () => {
    assert.ok(ids.length >= 45, `only ${ids.length} templates`);
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) {
      assert.ok(id in SCHEMA_FOR !== WITHOUT_SCHEMA.has(id), `template "${id}" must be in exactly one of SCHEMA_FOR and WITHOUT_SCHEMA`);
    }
    for (const id of [...Object.keys(SCHEMA_FOR), ...WITHOUT_SCHEMA]) assert.ok(ids.includes(id), `"${id}" is listed but no such template exists`);
  });

  it('covers the event sources users ask for', () => {
    const wanted = [
      'apigw-rest-proxy',
      'apigw-rest-authorizer-token',
      'apigw-rest-authorizer-request',
      'apigw-http',
      'apigw-http-authorizer',
      'apigw-websocket-connect',
      'apigw-websocket-message',
      'apigw-websocket-disconnect',
      'alb',
      'function-url',
      'sqs',
      'sqs-fifo',
      'sns',
      's3-put',
      's3-delete',
      'eventbridge-custom',
      'eventbridge-scheduled',
      'dynamodb-insert',
      'dynamodb-modify',
      'dynamodb-remove',
      'kinesis',
      'kinesis-firehose',
      'cloudwatch-logs',
      'cognito-pre-sign-up',
      'cognito-post-confirmation',
      'cognito-pre-token-generation',
      'cognito-custom-message',
      'ses-receive',
      'msk',
      'kafka-self-managed',
      'mq-activemq',
      'mq-rabbitmq',
      'cloudfront-viewer-request',
      'cloudfront-viewer-response',
      'cloudfront-origin-request',
      'appsync-resolver',
      'stepfunctions-task',
      'iot-rule',
      'secrets-manager-rotation',
      'cloudformation-create',
      'cloudformation-update',
      'cloudformation-delete',
      'cloudevents',
      'lex-v2',
      'config-rule',
      'codepipeline-job',
      's3-batch',
    ];
    for (const id of wanted) assert.ok(findEventTemplate(id), `missing template "${id}"`);
  });

  for (const template of listEventTemplates()) {
    const schema = SCHEMA_FOR[template.id];
    if (schema) {
      it(`${template.id}: default rendering matches the Powertools schema`, () => {
        parseWith(schema, renderEvent(template.id));
      });
    }
  }

  it('the schema check has teeth: damaged events are rejected', () => {
    const sqs = renderEvent('sqs') as { Records: Record<string, unknown>[] };
    sqs.Records[0]!.eventSource = 'aws:sns';
    assert.equal(schemas.SqsSchema.safeParse(sqs).success, false);
    const logs = renderEvent('cloudwatch-logs') as { awslogs: { data: string } };
    logs.awslogs.data = Buffer.from('not gzip').toString('base64');
    assert.equal(schemas.CloudWatchLogsSchema.safeParse(logs).success, false);
    // Why the WebSocket proxy events are schema-less: Powertools' schema describes the $connect authorizer.
    assert.equal(schemas.APIGatewayProxyWebsocketEventSchema.safeParse(renderEvent('apigw-websocket-connect')).success, false);
  });

  it('describes every template as plain JSON data with defaults that are valid values', () => {
    const described = describeEventTemplates();
    assert.equal(described.length, ids.length);
    const roundTripped = JSON.parse(JSON.stringify(described)) as typeof described;
    assert.deepEqual(roundTripped, described);
    for (const template of described) {
      assert.ok(template.source && template.label && template.description, template.id);
      for (const field of template.fields) {
        if (field.kind === 'choice') assert.ok(field.choices!.includes(field.default), `${template.id}.${field.name}`);
        if (field.kind === 'json') JSON.parse(field.default);
      }
    }
  });

  it('renders the same event twice (stable ids and timestamps) and as JSON text', () => {
    for (const id of ids) assert.deepEqual(renderEvent(id), renderEvent(id), id);
    assert.deepEqual(JSON.parse(renderEventText('sqs')), renderEvent('sqs'));
  });

  it('keeps one account and region across ARNs', () => {
    for (const id of ids) {
      const text = JSON.stringify(renderEvent(id));
      for (const match of text.matchAll(/arn:aws:[a-z0-9-]+:([a-z0-9-]*):(\d*):/g)) {
        assert.ok(match[1] === '' || match[1] === 'us-east-1', `${id}: region in ${match[0]}`);
        assert.ok(match[2] === '' || match[2] === '123456789012', `${id}: account in ${match[0]}`);
      }
    }
  });
});

describe('rendering with user values', () => {
  it('REST proxy: method, path parameters, query and a JSON body kept as text', () => {
    const event = renderEvent('apigw-rest-proxy', {
      method: 'POST',
      resource: '/customers/{customerId}/orders/{orderId}',
      path: '/customers/7/orders/99',
      query: 'tag=a&tag=b&q=hello%20world',
      body: '{"item":"tea"}',
      headers: '{"Authorization":"Bearer xyz"}',
    }) as Record<string, any>;
    parseWith(schemas.APIGatewayProxyEventSchema, event);
    assert.equal(event.httpMethod, 'POST');
    assert.equal(event.requestContext.httpMethod, 'POST');
    assert.equal(event.requestContext.path, '/prod/customers/7/orders/99');
    assert.deepEqual(event.pathParameters, { customerId: '7', orderId: '99' });
    assert.deepEqual(event.queryStringParameters, { tag: 'b', q: 'hello world' });
    assert.deepEqual(event.multiValueQueryStringParameters, { tag: ['a', 'b'], q: ['hello world'] });
    assert.equal(event.body, '{"item":"tea"}');
    assert.equal(typeof event.body, 'string');
    assert.equal(event.headers.Authorization, 'Bearer xyz');
    assert.equal(event.headers['Content-Type'], 'application/json');
    assert.deepEqual(event.multiValueHeaders.Authorization, ['Bearer xyz']);
  });

  it('REST proxy: no body and no query give null like API Gateway', () => {
    const event = renderEvent('apigw-rest-proxy', { method: 'GET', body: '', query: '' }) as Record<string, any>;
    assert.equal(event.body, null);
    assert.equal(event.queryStringParameters, null);
    assert.equal(event.multiValueQueryStringParameters, null);
    parseWith(schemas.APIGatewayProxyEventSchema, event);
  });

  it('HTTP API: routeKey, joined repeated query values, cookies and lowercase headers', () => {
    const event = renderEvent('apigw-http', {
      method: 'DELETE',
      route: '/files/{proxy+}',
      path: '/files/a/b.txt',
      query: 'v=1&v=2',
      body: '',
      cookies: 'theme=dark; session=abc',
    }) as Record<string, any>;
    parseWith(schemas.APIGatewayProxyEventV2Schema, event);
    assert.equal(event.routeKey, 'DELETE /files/{proxy+}');
    assert.equal(event.requestContext.http.method, 'DELETE');
    assert.deepEqual(event.pathParameters, { proxy: 'a/b.txt' });
    assert.equal(event.rawQueryString, 'v=1&v=2');
    assert.deepEqual(event.queryStringParameters, { v: '1,2' });
    assert.deepEqual(event.cookies, ['theme=dark', 'session=abc']);
    assert.equal(event.body, undefined);
    for (const name of Object.keys(event.headers)) assert.equal(name, name.toLowerCase());
  });

  it('authorizers carry the token and the method ARN of the request', () => {
    const token = renderEvent('apigw-rest-authorizer-token', { token: 'allow-me', method: 'DELETE', path: '/orders/7' }) as Record<string, any>;
    assert.equal(token.authorizationToken, 'allow-me');
    assert.equal(token.methodArn, 'arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/DELETE/orders/7');
    const request = renderEvent('apigw-http-authorizer', { authorization: 'Bearer t0k3n', path: '/orders/9' }) as Record<string, any>;
    parseWith(schemas.APIGatewayRequestAuthorizerEventV2Schema, request);
    assert.deepEqual(request.identitySource, ['Bearer t0k3n']);
    assert.equal(request.headers.authorization, 'Bearer t0k3n');
    assert.deepEqual(request.pathParameters, { orderId: '9' });
  });

  it('WebSocket: the message route comes from the body action; disconnect carries the close code', () => {
    const message = renderEvent('apigw-websocket-message', { body: '{"action":"join","room":"blue"}', connectionId: 'abc=' }) as Record<string, any>;
    assert.equal(message.requestContext.routeKey, 'join');
    assert.equal(message.requestContext.eventType, 'MESSAGE');
    assert.equal(message.requestContext.connectionId, 'abc=');
    assert.equal(message.body, '{"action":"join","room":"blue"}');
    const plain = renderEvent('apigw-websocket-message', { body: 'hello' }) as Record<string, any>;
    assert.equal(plain.requestContext.routeKey, '$default');
    const connect = renderEvent('apigw-websocket-connect', { connectionId: 'abc=' }) as Record<string, any>;
    assert.equal(connect.requestContext.routeKey, '$connect');
    assert.equal(connect.requestContext.connectionId, 'abc=');
    const disconnect = renderEvent('apigw-websocket-disconnect', { statusCode: '1006', reason: '' }) as Record<string, any>;
    assert.equal(disconnect.requestContext.disconnectStatusCode, 1006);
    assert.equal(disconnect.requestContext.eventType, 'DISCONNECT');
  });

  it('SQS: body, queue ARN, count, and MD5s computed the way SQS computes them', () => {
    const event = renderEvent('sqs', { queueName: 'invoices', body: 'hello', count: '3', messageAttributes: '{"b":"2","a":"1"}' }) as Record<string, any>;
    parseWith(schemas.SqsSchema, event);
    assert.equal(event.Records.length, 3);
    assert.equal(new Set(event.Records.map((r: any) => r.messageId)).size, 3);
    const record = event.Records[0];
    assert.equal(record.body, 'hello');
    assert.equal(record.eventSourceARN, 'arn:aws:sqs:us-east-1:123456789012:invoices');
    assert.equal(record.md5OfBody, createHash('md5').update('hello').digest('hex'));
    // Worked by hand from SQS's documented encoding, for attributes a=1, b=2 (String):
    const chunk = (s: string) => {
      const b = Buffer.from(s);
      const len = Buffer.alloc(4);
      len.writeUInt32BE(b.length);
      return Buffer.concat([len, b]);
    };
    const expected = createHash('md5')
      .update(Buffer.concat([chunk('a'), chunk('String'), Buffer.from([1]), chunk('1'), chunk('b'), chunk('String'), Buffer.from([1]), chunk('2')]))
      .digest('hex');
    assert.equal(record.md5OfMessageAttributes, expected);
    assert.equal(sqsMessageAttributesMd5({}), null);
  });

  it('SQS FIFO: group id, deduplication ids and sequence numbers', () => {
    const event = renderEvent('sqs-fifo', { messageGroupId: 'g-1', deduplicationId: 'd', count: '2' }) as Record<string, any>;
    assert.equal(event.Records[0].attributes.MessageGroupId, 'g-1');
    assert.equal(event.Records[0].attributes.MessageDeduplicationId, 'd');
    assert.equal(event.Records[1].attributes.MessageDeduplicationId, 'd-2');
    assert.match(event.Records[0].attributes.SequenceNumber, /^\d{20}$/);
    assert.match(event.Records[0].eventSourceARN, /:orders\.fifo$/);
  });

  it('SNS: no subject is null, message and attributes in place', () => {
    const event = renderEvent('sns', { subject: '', message: 'm', messageAttributes: '{"k":"v"}', topicName: 't' }) as Record<string, any>;
    parseWith(schemas.SnsSchema, event);
    assert.equal(event.Records[0].Sns.Subject, null);
    assert.equal(event.Records[0].Sns.Message, 'm');
    assert.deepEqual(event.Records[0].Sns.MessageAttributes, { k: { Type: 'String', Value: 'v' } });
    assert.equal(event.Records[0].Sns.TopicArn, 'arn:aws:sns:us-east-1:123456789012:t');
  });

  it('EventBridge: source, detail-type and the detail object', () => {
    const event = renderEvent('eventbridge-custom', { source: 'my.app', detailType: 'Thing Happened', detail: '{"n":1,"tags":["x"]}' }) as Record<string, any>;
    const parsed = parseWith(schemas.EventBridgeSchema, event) as Record<string, any>;
    assert.equal(parsed.source, 'my.app');
    assert.equal(parsed['detail-type'], 'Thing Happened');
    assert.deepEqual(parsed.detail, { n: 1, tags: ['x'] });
    const scheduled = renderEvent('eventbridge-scheduled', { ruleName: 'hourly' }) as Record<string, any>;
    assert.deepEqual(scheduled.resources, ['arn:aws:events:us-east-1:123456789012:rule/hourly']);
    assert.equal(scheduled['detail-type'], 'Scheduled Event');
  });

  it('S3: the key is URL-encoded like S3 sends it; deletes have no size', () => {
    const put = renderEvent('s3-put', { bucket: 'b', key: 'a dir/ü 1.txt', size: '5' }) as Record<string, any>;
    const parsed = parseWith(schemas.S3Schema, put) as Record<string, any>;
    assert.equal(parsed.Records[0].s3.object.key, 'a+dir/%C3%BC+1.txt');
    assert.equal(decodeURIComponent(parsed.Records[0].s3.object.key.replace(/\+/g, ' ')), 'a dir/ü 1.txt');
    assert.equal(parsed.Records[0].s3.object.size, 5);
    assert.equal(parsed.Records[0].s3.bucket.arn, 'arn:aws:s3:::b');
    const del = renderEvent('s3-delete') as Record<string, any>;
    assert.equal(del.Records[0].eventName, 'ObjectRemoved:Delete');
    assert.equal(del.Records[0].s3.object.size, undefined);
    const viaSqs = parseWith(schemas.S3SqsEventNotificationSchema, renderEvent('s3-put-via-sqs', { bucket: 'q' })) as Record<string, any>;
    assert.equal(viaSqs.Records[0].body.Records[0].s3.bucket.name, 'q');
  });

  it('DynamoDB: plain JSON items are marshalled, keys extracted, and unmarshal back', () => {
    const item = { pk: 'A', sk: 2, flags: [true, null], nested: { x: 'y' } };
    const event = renderEvent('dynamodb-insert', { tableName: 'T', keyAttributes: 'pk, sk', item: JSON.stringify(item) }) as Record<string, any>;
    const record = event.Records[0];
    assert.deepEqual(record.dynamodb.Keys, { pk: { S: 'A' }, sk: { N: '2' } });
    assert.deepEqual(record.dynamodb.NewImage.flags, { L: [{ BOOL: true }, { NULL: true }] });
    assert.match(record.eventSourceARN, /^arn:aws:dynamodb:us-east-1:123456789012:table\/T\/stream\//);
    const parsed = parseWith(schemas.DynamoDBStreamSchema, event) as Record<string, any>;
    assert.deepEqual(parsed.Records[0].dynamodb.NewImage, item);
    const modify = parseWith(schemas.DynamoDBStreamSchema, renderEvent('dynamodb-modify')) as Record<string, any>;
    assert.equal(modify.Records[0].dynamodb.OldImage.status, 'PLACED');
    assert.equal(modify.Records[0].dynamodb.NewImage.status, 'SHIPPED');
    const remove = renderEvent('dynamodb-remove') as Record<string, any>;
    assert.equal(remove.Records[0].dynamodb.NewImage, undefined);
    assert.throws(() => renderEvent('dynamodb-insert', { keyAttributes: 'id' }), /has no key attribute "id"/);
  });

  it('Kinesis, Firehose, Kafka and MQ base64-encode the data', () => {
    const kinesis = parseWith(schemas.KinesisDataStreamSchema, renderEvent('kinesis', { data: '{"a":1}', partitionKey: 'p', count: '2' })) as Record<
      string,
      any
    >;
    assert.deepEqual(kinesis.Records[0].kinesis.data, { a: 1 });
    assert.equal(kinesis.Records.length, 2);
    const raw = renderEvent('kinesis', { data: 'plain text' }) as Record<string, any>;
    assert.equal(Buffer.from(raw.Records[0].kinesis.data, 'base64').toString(), 'plain text');
    const firehose = parseWith(schemas.KinesisFirehoseSchema, renderEvent('kinesis-firehose', { data: 'line' })) as Record<string, any>;
    assert.equal(firehose.records[0].data, 'line');
    const msk = parseWith(schemas.KafkaMskEventSchema, renderEvent('msk', { topic: 't', key: 'k', value: 'v', headers: '{"h":"x"}' })) as Record<string, any>;
    const record = msk.records['t-0'][0];
    assert.equal(record.key, 'k');
    assert.equal(record.value, 'v');
    assert.deepEqual(record.headers, [{ h: 'x' }]);
    const mq = renderEvent('mq-activemq', { data: 'jms text', queue: 'q1' }) as Record<string, any>;
    assert.equal(Buffer.from(mq.messages[0].data, 'base64').toString(), 'jms text');
    assert.equal(mq.messages[0].destination.physicalName, 'q1');
    const rabbit = renderEvent('mq-rabbitmq', { queue: 'jobs', virtualHost: '/prod', data: 'x' }) as Record<string, any>;
    assert.deepEqual(Object.keys(rabbit.rmqMessagesByQueue), ['jobs::/prod']);
    assert.equal(Buffer.from(rabbit.rmqMessagesByQueue['jobs::/prod'][0].data, 'base64').toString(), 'x');
  });

  it('CloudWatch Logs: awslogs.data is real gzip + base64 that decodes back to the log events', () => {
    const messages = ['first line', 'second line with ünicode'];
    const event = renderEvent('cloudwatch-logs', { logGroup: '/aws/lambda/x', messages: JSON.stringify(messages), filterName: 'f' }) as Record<string, any>;
    const decoded = JSON.parse(gunzipSync(Buffer.from(event.awslogs.data, 'base64')).toString('utf8'));
    assert.equal(decoded.messageType, 'DATA_MESSAGE');
    assert.equal(decoded.owner, '123456789012');
    assert.equal(decoded.logGroup, '/aws/lambda/x');
    assert.deepEqual(decoded.subscriptionFilters, ['f']);
    assert.deepEqual(
      decoded.logEvents.map((e: { message: string }) => e.message),
      messages,
    );
    assert.ok(decoded.logEvents.every((e: { id: string }) => /^\d{56}$/.test(e.id)));
    const parsed = parseWith(schemas.CloudWatchLogsSchema, event) as Record<string, any>;
    assert.deepEqual(parsed.awslogs.data, decoded);
  });

  it('CloudFormation: properties arrive as strings, Update carries the old ones', () => {
    const update = parseWith(
      schemas.CloudFormationCustomResourceUpdateSchema,
      renderEvent('cloudformation-update', { properties: '{"Size":3,"On":true,"List":[1]}', oldProperties: '{"Size":2}', physicalId: 'p-1' }),
    ) as Record<string, any>;
    assert.deepEqual(update.ResourceProperties, { ServiceToken: update.ServiceToken, Size: '3', On: 'true', List: ['1'] });
    assert.deepEqual(update.OldResourceProperties, { ServiceToken: update.ServiceToken, Size: '2' });
    assert.equal((renderEvent('cloudformation-delete', { physicalId: 'p-9' }) as Record<string, any>).PhysicalResourceId, 'p-9');
  });

  it('Cognito: user name, attributes and trigger source', () => {
    const signUp = renderEvent('cognito-pre-sign-up', { username: 'grace', email: 'grace@example.com', clientMetadata: '{"plan":"pro"}' }) as Record<
      string,
      any
    >;
    assert.equal(signUp.userName, 'grace');
    assert.deepEqual(signUp.request.userAttributes, { email: 'grace@example.com' });
    assert.deepEqual(signUp.request.clientMetadata, { plan: 'pro' });
    const message = parseWith(
      schemas.CustomMessageTriggerSchema,
      renderEvent('cognito-custom-message', { triggerSource: 'CustomMessage_ForgotPassword' }),
    ) as Record<string, any>;
    assert.equal(message.triggerSource, 'CustomMessage_ForgotPassword');
    assert.equal(message.request.codeParameter, '{####}');
    const token = parseWith(
      schemas.PreTokenGenerationTriggerSchemaV2AndV3,
      renderEvent('cognito-pre-token-generation-v2', { groups: 'admins, staff', scopes: 'openid' }),
    ) as Record<string, any>;
    assert.deepEqual(token.request.groupConfiguration.groupsToOverride, ['admins', 'staff']);
    assert.deepEqual(token.request.scopes, ['openid']);
  });

  it('schema-less templates put the values where their services do', () => {
    const viewer = renderEvent('cloudfront-viewer-request', { uri: '/img/a.png', querystring: 'w=200', method: 'HEAD' }) as Record<string, any>;
    assert.equal(viewer.Records[0].cf.config.eventType, 'viewer-request');
    assert.equal(viewer.Records[0].cf.request.uri, '/img/a.png');
    assert.equal(viewer.Records[0].cf.request.querystring, 'w=200');
    assert.equal(viewer.Records[0].cf.request.method, 'HEAD');
    assert.deepEqual(viewer.Records[0].cf.request.headers.host, [{ key: 'Host', value: 'd111111abcdef8.cloudfront.net' }]);
    const originRequest = renderEvent('cloudfront-origin-request') as Record<string, any>;
    assert.equal(originRequest.Records[0].cf.request.origin.custom.domainName, 'orders-origin.example.com');
    const viewerResponse = renderEvent('cloudfront-viewer-response', { status: '404' }) as Record<string, any>;
    assert.deepEqual([viewerResponse.Records[0].cf.response.status, viewerResponse.Records[0].cf.response.statusDescription], ['404', 'Not Found']);

    const cloudEvent = renderEvent('cloudevents', { type: 't.x', source: '/s', subject: '', data: '[1,2]' }) as Record<string, any>;
    assert.equal(cloudEvent.specversion, '1.0');
    assert.equal(cloudEvent.type, 't.x');
    assert.equal(cloudEvent.subject, undefined);
    assert.deepEqual(cloudEvent.data, [1, 2]);
    for (const key of ['id', 'source', 'specversion', 'type']) assert.ok(key in cloudEvent, key);

    const config = renderEvent('config-rule', { resourceId: 'bkt', ruleParameters: '{"x":"y"}' }) as Record<string, any>;
    assert.equal(typeof config.invokingEvent, 'string');
    assert.equal(JSON.parse(config.invokingEvent).configurationItem.resourceId, 'bkt');
    assert.equal(config.ruleParameters, '{"x":"y"}');

    const pipeline = renderEvent('codepipeline-job', { userParameters: 'deploy=now' }) as Record<string, any>;
    assert.equal(pipeline['CodePipeline.job'].data.actionConfiguration.configuration.UserParameters, 'deploy=now');

    const rotation = renderEvent('secrets-manager-rotation', { step: 'testSecret', secretName: 'db' }) as Record<string, any>;
    assert.equal(rotation.Step, 'testSecret');
    assert.match(rotation.SecretId, /^arn:aws:secretsmanager:us-east-1:123456789012:secret:db-[A-Za-z0-9]{6}$/);

    assert.deepEqual(renderEvent('stepfunctions-task', { input: '{"a":[1]}' }), { a: [1] });
    const withToken = renderEvent('stepfunctions-task-token', { input: '{"a":1}' }) as Record<string, any>;
    assert.deepEqual(withToken.input, { a: 1 });
    assert.equal(typeof withToken.taskToken, 'string');

    const iot = renderEvent('iot-rule', { topic: 'd/1/t', payload: '{"t":20}' }) as Record<string, any>;
    assert.deepEqual([iot.t, iot.topic, typeof iot.timestamp], [20, 'd/1/t', 'number']);

    const lex = renderEvent('lex-v2', { intentName: 'BookRoom', slots: '{"nights":"3"}', invocationSource: 'FulfillmentCodeHook' }) as Record<string, any>;
    assert.equal(lex.sessionState.intent.name, 'BookRoom');
    assert.equal(lex.sessionState.intent.state, 'ReadyForFulfillment');
    assert.equal(lex.sessionState.intent.slots.nights.value.interpretedValue, '3');

    const batch = renderEvent('s3-batch', { bucket: 'bb', key: 'k/1', userArguments: '{"a":"b"}' }) as Record<string, any>;
    assert.deepEqual(batch.tasks[0].s3Bucket, 'bb');
    assert.deepEqual(batch.tasks[0].s3Key, 'k/1');
    assert.deepEqual(batch.job.userArguments, { a: 'b' });

    const alarm = renderEvent('cloudwatch-alarm', { state: 'OK', alarmName: 'a1' }) as Record<string, any>;
    assert.equal(alarm.alarmData.state.value, 'OK');
    assert.equal(alarm.alarmData.previousState.value, 'ALARM');
    assert.equal(alarm.alarmArn, 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:a1');
  });
});

describe('rendering mistakes are sentences', () => {
  it('an unknown id lists the close ids', () => {
    assert.throws(
      () => renderEvent('sqs-fio'),
      (error: Error) => {
        assert.match(error.message, /^There is no event template "sqs-fio"\. Did you mean "sqs-fifo"/);
        return true;
      },
    );
    assert.throws(() => renderEvent('dynamodb'), /"dynamodb-insert", "dynamodb-modify" or "dynamodb-remove"/);
    assert.throws(() => renderEvent('apigateway-rest-proxy'), /Did you mean "apigw-rest-proxy"/);
    assert.throws(
      () => renderEvent('zzzzzzzz'),
      (error: Error) => {
        assert.doesNotMatch(error.message, /Did you mean/);
        assert.match(error.message, /There is no event template "zzzzzzzz"\./);
        return true;
      },
    );
  });

  it('an unknown field, a bad choice, a bad number and bad JSON each name the field', () => {
    assert.throws(() => renderEvent('sqs', { bdy: 'x' }), /Event template "sqs" has no field "bdy"; did you mean "body"\? Its fields are: queueName, body/);
    assert.throws(() => renderEvent('apigw-rest-proxy', { method: 'FETCH' }), /Field "method" of event template "apigw-rest-proxy" must be one of GET, POST/);
    assert.throws(() => renderEvent('sqs', { count: '11' }), /Field "count" of event template "sqs" must be at most 10; got 11\./);
    assert.throws(() => renderEvent('sqs', { count: 'two' }), /must be a whole number; got "two"/);
    assert.throws(() => renderEvent('eventbridge-custom', { detail: '{oops' }), /Field "detail" of event template "eventbridge-custom" must be JSON/);
    assert.throws(() => renderEvent('eventbridge-custom', { detail: '[1]' }), /Field "detail" .* has the wrong shape/);
    assert.throws(() => renderEvent('sqs', { messageAttributes: '{"a":1}' }), /has the wrong shape \(a: /);
  });

  it('undefined values fall back to the defaults', () => {
    assert.deepEqual(renderEvent('sqs', { body: undefined }), renderEvent('sqs'));
  });
});
