// Storage and data: S3 notifications (direct, through SQS, through EventBridge), S3 Batch Operations,
// S3 Object Lambda, DynamoDB Streams and Transfer Family. DynamoDB items are typed in plain JSON and
// marshalled into DynamoDB's attribute-value JSON here, which is what nobody wants to write by hand.
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import {
  ACCOUNT,
  CLIENT_IP,
  EVENT_TIME_MS,
  REGION,
  arn,
  iamRoleId,
  iamUserId,
  isoTime,
  isoTimeSeconds,
  marshallItem,
  md5Hex,
  s3EncodeKey,
  stableAlnum,
  stableBase64,
  stableDigits,
  stableHex,
  stableUpper,
  stableUuid,
} from '../aws-values.ts';
import { JsonObject, StringMap, defineTemplate, parseJsonField, type EventTemplate } from '../template.ts';
import { sqsRecord } from './messaging.ts';

// ----------------------------------------------------------------------------------------------------------- S3

const bucketField = { name: 'bucket' as const, prompt: 'Bucket name', default: 'orders-uploads' };
const keyField = { name: 'key' as const, prompt: 'Object key (URL-encoded in the event, like S3 does)', default: 'invoices/2026/order 42.pdf' };
const sizeField = { name: 'size' as const, prompt: 'Object size in bytes', default: '48213', kind: 'integer' as const, min: 0 };

interface S3Change {
  bucket: string;
  key: string;
  eventName: string;
  size?: number;
  seed: string;
}

function s3Record(change: S3Change) {
  const created = change.size !== undefined;
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: REGION,
    eventTime: isoTime(),
    eventName: change.eventName,
    userIdentity: { principalId: `AWS:${iamUserId('s3-uploader')}` },
    requestParameters: { sourceIPAddress: CLIENT_IP },
    responseElements: {
      'x-amz-request-id': stableUpper(`${change.seed}/request`, 16),
      'x-amz-id-2': stableBase64(`${change.seed}/id2`, 48),
    },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'orders-uploads-notification',
      bucket: { name: change.bucket, ownerIdentity: { principalId: stableUpper('s3-owner', 13) }, arn: `arn:aws:s3:::${change.bucket}` },
      object: {
        key: s3EncodeKey(change.key),
        ...(created ? { size: change.size, eTag: md5Hex(`${change.bucket}/${change.key}`) } : {}),
        sequencer: stableHex(`${change.seed}/sequencer`, 18).toUpperCase(),
      },
    },
  };
}

const s3Put = defineTemplate({
  id: 's3-put',
  source: 'Amazon S3',
  label: 'S3 object created (Put)',
  description: 'An S3 event notification for a PutObject; the key is URL-encoded as S3 sends it.',
  fields: [bucketField, keyField, sizeField],
  render: (v) => ({ Records: [s3Record({ ...v, size: Number(v.size), eventName: 'ObjectCreated:Put', seed: 's3-put' })] }),
});

const s3Delete = defineTemplate({
  id: 's3-delete',
  source: 'Amazon S3',
  label: 'S3 object removed (Delete)',
  description: 'An S3 event notification for a DeleteObject on an unversioned bucket: no size or ETag.',
  fields: [bucketField, keyField],
  render: (v) => ({ Records: [s3Record({ ...v, eventName: 'ObjectRemoved:Delete', seed: 's3-delete' })] }),
});

const s3ViaSqs = defineTemplate({
  id: 's3-put-via-sqs',
  source: 'Amazon S3',
  label: 'S3 object created, delivered through SQS',
  description: 'An S3 notification sent to an SQS queue that triggers the function: the S3 event is the JSON text of the SQS body.',
  fields: [{ name: 'queueName', prompt: 'Queue name', default: 'orders-uploads-events' }, bucketField, keyField, sizeField],
  render: (v) => {
    const s3Event = { Records: [s3Record({ ...v, size: Number(v.size), eventName: 'ObjectCreated:Put', seed: 's3-put-via-sqs' })] };
    return { Records: [sqsRecord({ queueName: v.queueName, body: JSON.stringify(s3Event), index: 0, seed: 's3-put-via-sqs' })] };
  },
});

const s3EventBridge = defineTemplate({
  id: 's3-eventbridge-object-created',
  source: 'Amazon S3',
  label: 'S3 Object Created via EventBridge',
  description: 'The EventBridge form of an S3 upload (bucket with EventBridge notifications on): detail-type Object Created.',
  fields: [bucketField, { name: 'key', prompt: 'Object key', default: 'invoices/2026/order-42.pdf' }, sizeField],
  render: (v) => ({
    version: '0',
    id: stableUuid('s3-eventbridge-object-created'),
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: ACCOUNT,
    time: isoTimeSeconds(),
    region: REGION,
    resources: [`arn:aws:s3:::${v.bucket}`],
    detail: {
      version: '0',
      bucket: { name: v.bucket },
      object: {
        key: v.key,
        size: Number(v.size),
        etag: md5Hex(`${v.bucket}/${v.key}`),
        sequencer: stableHex('s3-eventbridge-object-created/sequencer', 18).toUpperCase(),
      },
      'request-id': stableUpper('s3-eventbridge-object-created/request', 16),
      requester: ACCOUNT,
      'source-ip-address': CLIENT_IP,
      reason: 'PutObject',
    },
  }),
});

const s3Batch = defineTemplate({
  id: 's3-batch',
  source: 'Amazon S3',
  label: 'S3 Batch Operations task',
  description: 'An S3 Batch Operations job invoking the function for one object (invocation schema 2.0, with user arguments).',
  fields: [
    bucketField,
    { name: 'key', prompt: 'Object key', default: 'invoices/2026/order-42.pdf' },
    {
      name: 'userArguments',
      prompt: 'Job user arguments as a JSON object of strings',
      default: '{"targetStorageClass":"GLACIER_IR"}',
      kind: 'json',
      schema: StringMap,
    },
  ],
  render: (v) => ({
    invocationSchemaVersion: '2.0',
    invocationId: stableBase64('s3-batch/invocation', 36).replace(/=+$/, ''),
    job: { id: stableUuid('s3-batch/job'), userArguments: parseJsonField(v.userArguments) },
    tasks: [{ taskId: stableBase64('s3-batch/task', 18).replace(/=+$/, ''), s3Key: v.key, s3VersionId: null, s3Bucket: v.bucket }],
  }),
});

const s3ObjectLambda = defineTemplate({
  id: 's3-object-lambda',
  source: 'Amazon S3',
  label: 'S3 Object Lambda GetObject',
  description: 'A GetObject through an S3 Object Lambda access point: the function fetches inputS3Url and answers with WriteGetObjectResponse.',
  fields: [
    { name: 'key', prompt: 'Object key', default: 'invoices/2026/order-42.pdf' },
    { name: 'accessPoint', prompt: 'Object Lambda access point name', default: 'orders-redacted' },
    { name: 'payload', prompt: 'Payload configured on the access point, empty for none', default: '' },
  ],
  render: (v) => {
    const token = stableBase64('s3-object-lambda/token', 120);
    const userRole = 'orders-reader';
    return {
      xAmzRequestId: stableUuid('s3-object-lambda/request'),
      getObjectContext: {
        inputS3Url: `https://orders-ap-${ACCOUNT}.s3-accesspoint.${REGION}.amazonaws.com/${encodeURI(v.key)}?X-Amz-Security-Token=${encodeURIComponent(token)}&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20260115T120000Z&X-Amz-SignedHeaders=host&X-Amz-Expires=61&X-Amz-Credential=ASIA${stableUpper('s3-object-lambda/key', 16)}%2F20260115%2F${REGION}%2Fs3%2Faws4_request&X-Amz-Signature=${stableHex('s3-object-lambda/signature', 64)}`,
        outputRoute: `io-${stableAlnum('s3-object-lambda/route', 16).toLowerCase()}`,
        outputToken: stableBase64('s3-object-lambda/output-token', 90),
      },
      configuration: {
        accessPointArn: arn('s3-object-lambda', `accesspoint/${v.accessPoint}`),
        supportingAccessPointArn: arn('s3', 'accesspoint/orders-ap'),
        payload: v.payload,
      },
      userRequest: {
        url: `https://${v.accessPoint}-${ACCOUNT}.s3-object-lambda.${REGION}.amazonaws.com/${encodeURI(v.key)}`,
        headers: {
          Host: `${v.accessPoint}-${ACCOUNT}.s3-object-lambda.${REGION}.amazonaws.com`,
          'Accept-Encoding': 'identity',
          'X-Amz-Content-SHA256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        },
      },
      userIdentity: {
        type: 'AssumedRole',
        principalId: `${iamRoleId(userRole)}:ada`,
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${userRole}/ada`,
        accountId: ACCOUNT,
        accessKeyId: `ASIA${stableUpper('s3-object-lambda/caller-key', 16)}`,
        sessionContext: {
          sessionIssuer: {
            type: 'Role',
            principalId: iamRoleId(userRole),
            arn: `arn:aws:iam::${ACCOUNT}:role/${userRole}`,
            accountId: ACCOUNT,
            userName: userRole,
          },
          attributes: { creationDate: isoTimeSeconds(-600_000), mfaAuthenticated: 'false' },
        },
      },
      protocolVersion: '1.00',
    };
  },
});

// ---------------------------------------------------------------------------------------------- DynamoDB Streams

const STREAM_LABEL = '2026-01-01T00:00:00.000';
const tableField = { name: 'tableName' as const, prompt: 'Table name', default: 'Orders' };
const keysField = { name: 'keyAttributes' as const, prompt: 'Key attribute names, comma separated (partition key first)', default: 'orderId' };
const ORDER_ITEM = '{"orderId":"42","status":"PLACED","total":19.5,"items":[{"sku":"coffee","quantity":2}],"gift":false}';
const itemField = (name: 'item' | 'oldItem' | 'newItem', prompt: string, value: string) => ({
  name,
  prompt,
  default: value,
  kind: 'json' as const,
  schema: JsonObject,
});

function keysOf(item: Record<string, unknown>, keyAttributes: string, tableName: string): Record<string, unknown> {
  const names = keyAttributes
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  const missing = names.filter((name) => !(name in item));
  if (names.length === 0 || missing.length > 0) {
    throw new Error(
      `The item for table "${tableName}" has no key attribute ${missing.map((m) => `"${m}"`).join(', ') || '(none named)'}; ` +
        'add it to the item or change the key attribute names.',
    );
  }
  return Object.fromEntries(names.map((name) => [name, item[name]]));
}

function dynamoRecord(
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  tableName: string,
  keyAttributes: string,
  images: { oldItem?: Record<string, unknown>; newItem?: Record<string, unknown> },
): DynamoDBRecord {
  const keys = keysOf((images.newItem ?? images.oldItem)!, keyAttributes, tableName);
  const dynamodb = {
    ApproximateCreationDateTime: EVENT_TIME_MS / 1000,
    Keys: marshallItem(keys),
    ...(images.newItem ? { NewImage: marshallItem(images.newItem) } : {}),
    ...(images.oldItem ? { OldImage: marshallItem(images.oldItem) } : {}),
    SequenceNumber: `44${stableDigits(`dynamodb-${eventName}/sequence`, 24)}`,
    SizeBytes: Buffer.byteLength(JSON.stringify(images)),
    StreamViewType: 'NEW_AND_OLD_IMAGES' as const,
  };
  return {
    eventID: stableHex(`dynamodb-${eventName}/event`, 32),
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: REGION,
    dynamodb: dynamodb as DynamoDBRecord['dynamodb'],
    eventSourceARN: arn('dynamodb', `table/${tableName}/stream/${STREAM_LABEL}`),
  };
}

const dynamoInsert = defineTemplate({
  id: 'dynamodb-insert',
  source: 'Amazon DynamoDB',
  label: 'DynamoDB Streams INSERT',
  description: 'A new item written to a table with a NEW_AND_OLD_IMAGES stream; type the item as plain JSON.',
  fields: [tableField, keysField, itemField('item', 'New item as plain JSON (marshalled for you)', ORDER_ITEM)],
  render: (v): DynamoDBStreamEvent => ({
    Records: [dynamoRecord('INSERT', v.tableName, v.keyAttributes, { newItem: parseJsonField(v.item) })],
  }),
});

const dynamoModify = defineTemplate({
  id: 'dynamodb-modify',
  source: 'Amazon DynamoDB',
  label: 'DynamoDB Streams MODIFY',
  description: 'An item updated in a table with a NEW_AND_OLD_IMAGES stream: both images, typed as plain JSON.',
  fields: [
    tableField,
    keysField,
    itemField('oldItem', 'Item before the change, plain JSON', ORDER_ITEM),
    itemField('newItem', 'Item after the change, plain JSON', ORDER_ITEM.replace('PLACED', 'SHIPPED')),
  ],
  render: (v): DynamoDBStreamEvent => ({
    Records: [dynamoRecord('MODIFY', v.tableName, v.keyAttributes, { oldItem: parseJsonField(v.oldItem), newItem: parseJsonField(v.newItem) })],
  }),
});

const dynamoRemove = defineTemplate({
  id: 'dynamodb-remove',
  source: 'Amazon DynamoDB',
  label: 'DynamoDB Streams REMOVE',
  description: 'An item deleted from a table with a NEW_AND_OLD_IMAGES stream: only the old image.',
  fields: [tableField, keysField, itemField('item', 'Deleted item as plain JSON (marshalled for you)', ORDER_ITEM)],
  render: (v): DynamoDBStreamEvent => ({
    Records: [dynamoRecord('REMOVE', v.tableName, v.keyAttributes, { oldItem: parseJsonField(v.item) })],
  }),
});

// ----------------------------------------------------------------------------------------------- Transfer Family

const transferFamily = defineTemplate({
  id: 'transfer-family-authorizer',
  source: 'AWS Transfer Family',
  label: 'Transfer Family custom identity provider',
  description: 'A Transfer Family server asking a Lambda identity provider to authenticate a user.',
  fields: [
    { name: 'username', prompt: 'User name', default: 'ada' },
    { name: 'password', prompt: 'Password (empty for key-based login)', default: 'correct horse battery staple' },
    { name: 'protocol', prompt: 'Protocol', default: 'SFTP', kind: 'choice', choices: ['SFTP', 'FTPS', 'FTP', 'AS2'] },
  ],
  render: (v) => ({
    username: v.username,
    password: v.password,
    protocol: v.protocol,
    serverId: 's-1234567890abcdef0',
    sourceIp: CLIENT_IP,
  }),
});

export const storageTemplates: EventTemplate[] = [
  s3Put,
  s3Delete,
  s3ViaSqs,
  s3EventBridge,
  s3Batch,
  s3ObjectLambda,
  dynamoInsert,
  dynamoModify,
  dynamoRemove,
  transferFamily,
];
