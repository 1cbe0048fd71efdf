// Queues, topics, buses and streams: SQS, SNS, EventBridge, Kinesis, Firehose, Kafka (MSK and self-managed),
// Amazon MQ and CloudEvents. Where the service base64-encodes the payload (Kinesis, Firehose, Kafka, MQ)
// the template does too, and where it computes a digest (SQS MD5s) the template computes the real one.
import type { EventBridgeEvent, FirehoseTransformationEvent, KinesisStreamEvent, MSKEvent, ScheduledEvent, SelfManagedKafkaEvent } from 'aws-lambda';
import {
  ACCOUNT,
  EVENT_TIME_MS,
  REGION,
  arn,
  bytesOf,
  iamRoleId,
  isoTime,
  isoTimeSeconds,
  md5Hex,
  sqsMessageAttributesMd5,
  stableBase64,
  stableDigits,
  stableHex,
  stableUuid,
  toBase64,
  traceHeader,
} from '../aws-values.ts';
import { JsonObject, StringMap, defineTemplate, parseJsonField, type EventTemplate } from '../template.ts';

const PRODUCER_ROLE = 'orders-producer';
const ORDER_JSON = '{"orderId":"42","item":"coffee","quantity":2}';

const countField = (what: string) => ({
  name: 'count' as const,
  prompt: `How many ${what} in the batch`,
  default: '1',
  kind: 'integer' as const,
  min: 1,
  max: 10,
});

// ---------------------------------------------------------------------------------------------------------- SQS

export interface SqsRecordOptions {
  queueName: string;
  body: string;
  index: number;
  seed: string;
  attributes?: Record<string, string>;
  fifo?: { groupId: string; deduplicationId: string };
}

/** One SQS record with real MD5s of the body and the message attributes. */
export function sqsRecord(options: SqsRecordOptions) {
  const seed = `${options.seed}/${options.index}`;
  const messageAttributes = Object.fromEntries(
    Object.entries(options.attributes ?? {}).map(([name, value]) => [
      name,
      { stringValue: value, stringListValues: [], binaryListValues: [], dataType: 'String' },
    ]),
  );
  const sent = EVENT_TIME_MS + options.index * 7;
  return {
    messageId: stableUuid(`${seed}/message`),
    receiptHandle: `AQEB${stableBase64(`${seed}/receipt`, 96)}`,
    body: options.body,
    attributes: {
      ApproximateReceiveCount: '1',
      AWSTraceHeader: traceHeader(seed),
      SentTimestamp: String(sent),
      SenderId: `${iamRoleId(PRODUCER_ROLE)}:${PRODUCER_ROLE}`,
      ApproximateFirstReceiveTimestamp: String(sent + 12),
      ...(options.fifo
        ? {
            SequenceNumber: `188${stableDigits(`${seed}/sequence`, 17)}`,
            MessageGroupId: options.fifo.groupId,
            MessageDeduplicationId: options.fifo.deduplicationId,
          }
        : {}),
    },
    messageAttributes,
    md5OfMessageAttributes: sqsMessageAttributesMd5(messageAttributes),
    md5OfBody: md5Hex(options.body),
    eventSource: 'aws:sqs',
    eventSourceARN: arn('sqs', options.queueName),
    awsRegion: REGION,
  };
}

const messageAttributesField = {
  name: 'messageAttributes' as const,
  prompt: 'String message attributes as a JSON object, {} for none',
  default: '{"tenant":"acme"}',
  kind: 'json' as const,
  schema: StringMap,
};

const sqs = defineTemplate({
  id: 'sqs',
  source: 'Amazon SQS',
  label: 'SQS message batch',
  description: 'A batch of messages from a standard SQS queue (event source mapping), with real MD5 digests.',
  fields: [
    { name: 'queueName', prompt: 'Queue name', default: 'orders' },
    { name: 'body', prompt: 'Message body', default: ORDER_JSON },
    messageAttributesField,
    countField('messages'),
  ],
  render: (v) => ({
    Records: Array.from({ length: Number(v.count) }, (_, index) =>
      sqsRecord({ queueName: v.queueName, body: v.body, index, seed: 'sqs', attributes: parseJsonField(v.messageAttributes) }),
    ),
  }),
});

const sqsFifo = defineTemplate({
  id: 'sqs-fifo',
  source: 'Amazon SQS',
  label: 'SQS FIFO message batch',
  description: 'A batch from a FIFO queue: message group id, deduplication id and sequence number in the attributes.',
  fields: [
    { name: 'queueName', prompt: 'Queue name (ends with .fifo)', default: 'orders.fifo' },
    { name: 'body', prompt: 'Message body', default: ORDER_JSON },
    { name: 'messageGroupId', prompt: 'Message group id', default: 'customer-1001' },
    { name: 'deduplicationId', prompt: 'Deduplication id of the first message (the others get -2, -3...)', default: 'order-42' },
    countField('messages'),
  ],
  render: (v) => ({
    Records: Array.from({ length: Number(v.count) }, (_, index) =>
      sqsRecord({
        queueName: v.queueName,
        body: v.body,
        index,
        seed: 'sqs-fifo',
        fifo: { groupId: v.messageGroupId, deduplicationId: index === 0 ? v.deduplicationId : `${v.deduplicationId}-${index + 1}` },
      }),
    ),
  }),
});

// ---------------------------------------------------------------------------------------------------------- SNS

const sns = defineTemplate({
  id: 'sns',
  source: 'Amazon SNS',
  label: 'SNS notification',
  description: 'A notification delivered by an SNS topic subscription.',
  fields: [
    { name: 'topicName', prompt: 'Topic name', default: 'order-events' },
    { name: 'subject', prompt: 'Subject, empty for none', default: 'Order placed' },
    { name: 'message', prompt: 'Message', default: ORDER_JSON },
    messageAttributesField,
  ],
  render: (v) => {
    const topicArn = arn('sns', v.topicName);
    const subscriptionArn = `${topicArn}:${stableUuid('sns/subscription')}`;
    const attributes = parseJsonField<Record<string, string>>(v.messageAttributes);
    return {
      Records: [
        {
          EventSource: 'aws:sns',
          EventVersion: '1.0',
          EventSubscriptionArn: subscriptionArn,
          Sns: {
            Type: 'Notification',
            MessageId: stableUuid('sns/message'),
            TopicArn: topicArn,
            Subject: v.subject === '' ? null : v.subject, // SNS sends null, not "", without a subject
            Message: v.message,
            Timestamp: isoTime(),
            SignatureVersion: '1',
            Signature: stableBase64('sns/signature', 256),
            SigningCertUrl: `https://sns.${REGION}.amazonaws.com/SimpleNotificationService-${stableHex('sns/cert', 32)}.pem`,
            UnsubscribeUrl: `https://sns.${REGION}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${subscriptionArn}`,
            MessageAttributes: Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, { Type: 'String', Value: value }])),
          },
        },
      ],
    };
  },
});

// --------------------------------------------------------------------------------------------------- EventBridge

const eventBridgeCustom = defineTemplate({
  id: 'eventbridge-custom',
  source: 'Amazon EventBridge',
  label: 'EventBridge custom event',
  description: 'An event your application put on a bus (PutEvents) that matched a rule targeting the function.',
  fields: [
    { name: 'source', prompt: 'Event source', default: 'com.example.orders' },
    { name: 'detailType', prompt: 'Detail type', default: 'Order Placed' },
    { name: 'detail', prompt: 'Detail as a JSON object', default: '{"orderId":"42","customerId":"1001","total":19.5}', kind: 'json', schema: JsonObject },
    { name: 'resources', prompt: 'Resource ARNs, comma separated, empty for none', default: '' },
  ],
  render: (v): EventBridgeEvent<string, unknown> => ({
    version: '0',
    id: stableUuid('eventbridge-custom'),
    'detail-type': v.detailType,
    source: v.source,
    account: ACCOUNT,
    time: isoTimeSeconds(),
    region: REGION,
    resources: v.resources
      .split(',')
      .map((r) => r.trim())
      .filter(Boolean),
    detail: parseJsonField(v.detail),
  }),
});

const eventBridgeScheduled = defineTemplate({
  id: 'eventbridge-scheduled',
  source: 'Amazon EventBridge',
  label: 'EventBridge scheduled rule',
  description: 'A scheduled EventBridge rule (rate or cron expression) firing: source aws.events, detail-type Scheduled Event.',
  fields: [{ name: 'ruleName', prompt: 'Rule name', default: 'nightly-report' }],
  render: (v): ScheduledEvent<Record<string, never>> => ({
    version: '0',
    id: stableUuid('eventbridge-scheduled'),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: ACCOUNT,
    time: isoTimeSeconds(),
    region: REGION,
    resources: [arn('events', `rule/${v.ruleName}`)],
    detail: {},
  }),
});

const eventBridgeScheduler = defineTemplate({
  id: 'eventbridge-scheduler',
  source: 'Amazon EventBridge',
  label: 'EventBridge Scheduler schedule',
  description: 'An EventBridge Scheduler schedule with no custom input firing: source aws.scheduler.',
  fields: [
    { name: 'groupName', prompt: 'Schedule group', default: 'default' },
    { name: 'scheduleName', prompt: 'Schedule name', default: 'nightly-report' },
  ],
  render: (v): EventBridgeEvent<'Scheduled Event', Record<string, never>> => ({
    version: '0',
    id: stableUuid('eventbridge-scheduler'),
    'detail-type': 'Scheduled Event',
    source: 'aws.scheduler',
    account: ACCOUNT,
    time: isoTimeSeconds(),
    region: REGION,
    resources: [arn('scheduler', `schedule/${v.groupName}/${v.scheduleName}`)],
    detail: {},
  }),
});

// ------------------------------------------------------------------------------------------ Kinesis and Firehose

const kinesis = defineTemplate({
  id: 'kinesis',
  source: 'Amazon Kinesis',
  label: 'Kinesis Data Streams batch',
  description: "A batch of records from a Kinesis data stream; each record's data is base64 like the service sends it.",
  fields: [
    { name: 'streamName', prompt: 'Stream name', default: 'orders' },
    { name: 'partitionKey', prompt: 'Partition key', default: 'customer-1001' },
    { name: 'data', prompt: 'Record data (base64-encoded for you)', default: ORDER_JSON },
    countField('records'),
  ],
  render: (v): KinesisStreamEvent => ({
    Records: Array.from({ length: Number(v.count) }, (_, index) => {
      const sequenceNumber = `4959${stableDigits(`kinesis/${index}`, 52)}`;
      return {
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: v.partitionKey,
          sequenceNumber,
          data: toBase64(v.data),
          approximateArrivalTimestamp: (EVENT_TIME_MS + 987 + index * 3) / 1000, // seconds with milliseconds
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `shardId-000000000000:${sequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: arn('iam', 'role/orders-processor-role', { region: '' }),
        awsRegion: REGION,
        eventSourceARN: arn('kinesis', `stream/${v.streamName}`),
      };
    }),
  }),
});

const firehoseRecordId = (seed: string) => `4954${stableDigits(seed, 58)}`;

const firehose = defineTemplate({
  id: 'kinesis-firehose',
  source: 'Amazon Data Firehose',
  label: 'Firehose transformation batch',
  description: 'Records a Firehose stream (Direct PUT) hands to a transformation function; data is base64.',
  fields: [
    { name: 'deliveryStreamName', prompt: 'Firehose stream name', default: 'orders-to-s3' },
    { name: 'data', prompt: 'Record data (base64-encoded for you)', default: ORDER_JSON },
    countField('records'),
  ],
  render: (v): FirehoseTransformationEvent => ({
    invocationId: stableUuid('kinesis-firehose/invocation'),
    deliveryStreamArn: arn('firehose', `deliverystream/${v.deliveryStreamName}`),
    region: REGION,
    records: Array.from({ length: Number(v.count) }, (_, index) => ({
      recordId: firehoseRecordId(`kinesis-firehose/${index}`),
      approximateArrivalTimestamp: EVENT_TIME_MS + index * 3,
      data: toBase64(v.data),
    })),
  }),
});

const firehoseFromStream = defineTemplate({
  id: 'kinesis-firehose-stream-source',
  source: 'Amazon Data Firehose',
  label: 'Firehose transformation batch from a Kinesis stream',
  description: 'Records a Firehose stream reading from a Kinesis data stream hands to a transformation function, with the source record metadata.',
  fields: [
    { name: 'deliveryStreamName', prompt: 'Firehose stream name', default: 'orders-to-s3' },
    { name: 'sourceStreamName', prompt: 'Source Kinesis stream name', default: 'orders' },
    { name: 'partitionKey', prompt: 'Partition key', default: 'customer-1001' },
    { name: 'data', prompt: 'Record data (base64-encoded for you)', default: ORDER_JSON },
  ],
  // Not typed as FirehoseTransformationEvent: @types/aws-lambda has the metadata's timestamp as a string.
  render: (v) => ({
    invocationId: stableUuid('kinesis-firehose-stream-source/invocation'),
    sourceKinesisStreamArn: arn('kinesis', `stream/${v.sourceStreamName}`),
    deliveryStreamArn: arn('firehose', `deliverystream/${v.deliveryStreamName}`),
    region: REGION,
    records: [
      {
        recordId: firehoseRecordId('kinesis-firehose-stream-source/0'),
        approximateArrivalTimestamp: EVENT_TIME_MS,
        data: toBase64(v.data),
        kinesisRecordMetadata: {
          shardId: 'shardId-000000000000',
          partitionKey: v.partitionKey,
          approximateArrivalTimestamp: EVENT_TIME_MS,
          sequenceNumber: `4959${stableDigits('kinesis-firehose-stream-source/sequence', 52)}`,
          subsequenceNumber: 0,
        },
      },
    ],
  }),
});

// -------------------------------------------------------------------------------------------------------- Kafka

const kafkaFields = [
  { name: 'topic' as const, prompt: 'Topic', default: 'orders' },
  { name: 'key' as const, prompt: 'Record key (base64-encoded for you), empty for none', default: 'customer-1001' },
  { name: 'value' as const, prompt: 'Record value (base64-encoded for you)', default: ORDER_JSON },
  {
    name: 'headers' as const,
    prompt: 'Record headers as a JSON object of strings (sent as byte arrays)',
    default: '{"content-type":"application/json"}',
    kind: 'json' as const,
    schema: StringMap,
  },
];

function kafkaRecords(v: Readonly<Record<'topic' | 'key' | 'value' | 'headers', string>>): MSKEvent['records'] {
  const headers = parseJsonField<Record<string, string>>(v.headers);
  const partition = 0;
  return {
    [`${v.topic}-${partition}`]: [
      {
        topic: v.topic,
        partition,
        offset: 15,
        timestamp: EVENT_TIME_MS,
        timestampType: 'CREATE_TIME',
        ...(v.key !== '' ? { key: toBase64(v.key) } : {}),
        value: toBase64(v.value),
        headers: Object.entries(headers).map(([name, value]) => ({ [name]: bytesOf(value) })),
      } as MSKEvent['records'][string][number],
    ],
  };
}

const msk = defineTemplate({
  id: 'msk',
  source: 'Amazon MSK',
  label: 'MSK (Kafka) record batch',
  description: 'Records from an Amazon MSK topic, grouped by topic-partition; key and value are base64, headers are byte arrays.',
  fields: [{ name: 'clusterName', prompt: 'Cluster name', default: 'orders-cluster' }, ...kafkaFields],
  render: (v): MSKEvent => {
    const host = (n: number) => `b-${n}.${v.clusterName.replace(/[^a-z0-9]/gi, '').toLowerCase()}.k2x8ds.c2.kafka.${REGION}.amazonaws.com:9098`;
    return {
      eventSource: 'aws:kafka',
      eventSourceArn: arn('kafka', `cluster/${v.clusterName}/${stableUuid('msk/cluster')}-2`),
      bootstrapServers: `${host(1)},${host(2)}`,
      records: kafkaRecords(v),
    };
  },
});

const kafkaSelfManaged = defineTemplate({
  id: 'kafka-self-managed',
  source: 'Apache Kafka',
  label: 'Self-managed Kafka record batch',
  description: 'Records from a self-managed Apache Kafka topic, grouped by topic-partition; key and value are base64.',
  fields: [
    { name: 'bootstrapServers', prompt: 'Bootstrap servers, comma separated', default: 'kafka-1.example.com:9092,kafka-2.example.com:9092' },
    ...kafkaFields,
  ],
  render: (v): SelfManagedKafkaEvent => ({
    eventSource: 'SelfManagedKafka',
    bootstrapServers: v.bootstrapServers,
    records: kafkaRecords(v),
  }),
});

// ---------------------------------------------------------------------------------------------------- Amazon MQ

const brokerArn = (brokerName: string) => arn('mq', `broker:${brokerName}:b-${stableUuid(`mq/${brokerName}`)}`);

const activeMq = defineTemplate({
  id: 'mq-activemq',
  source: 'Amazon MQ',
  label: 'Amazon MQ for ActiveMQ messages',
  description: 'JMS text messages from an ActiveMQ queue on Amazon MQ; data is base64.',
  fields: [
    { name: 'brokerName', prompt: 'Broker name', default: 'orders-broker' },
    { name: 'queue', prompt: 'Queue (physical name)', default: 'orders' },
    { name: 'data', prompt: 'Message text (base64-encoded for you)', default: ORDER_JSON },
    { name: 'properties', prompt: 'Message properties as a JSON object of strings', default: '{"tenant":"acme"}', kind: 'json', schema: StringMap },
  ],
  render: (v) => {
    const brokerId = `b-${stableUuid(`mq/${v.brokerName}`)}`;
    return {
      eventSource: 'aws:mq',
      eventSourceArn: brokerArn(v.brokerName),
      messages: [
        {
          messageID: `ID:${brokerId}-1.mq.${REGION}.amazonaws.com-37557-${EVENT_TIME_MS - 86_400_000}-4:1:1:1:1`,
          messageType: 'jms/text-message',
          timestamp: EVENT_TIME_MS,
          deliveryMode: 1,
          correlationID: '',
          replyTo: 'null',
          destination: { physicalName: v.queue },
          redelivered: false,
          type: '',
          expiration: 0,
          priority: 0,
          data: toBase64(v.data),
          brokerInTime: EVENT_TIME_MS + 2,
          brokerOutTime: EVENT_TIME_MS + 5,
          properties: parseJsonField(v.properties),
        },
      ],
    };
  },
});

const rabbitMq = defineTemplate({
  id: 'mq-rabbitmq',
  source: 'Amazon MQ',
  label: 'Amazon MQ for RabbitMQ messages',
  description: 'Messages from a RabbitMQ queue on Amazon MQ, keyed by "queue::virtual-host"; data is base64.',
  fields: [
    { name: 'brokerName', prompt: 'Broker name', default: 'orders-broker' },
    { name: 'queue', prompt: 'Queue', default: 'orders' },
    { name: 'virtualHost', prompt: 'Virtual host', default: '/' },
    { name: 'data', prompt: 'Message body (base64-encoded for you)', default: ORDER_JSON },
  ],
  render: (v) => ({
    eventSource: 'aws:rmq',
    eventSourceArn: brokerArn(v.brokerName),
    rmqMessagesByQueue: {
      [`${v.queue}::${v.virtualHost}`]: [
        {
          basicProperties: {
            contentType: 'application/json',
            contentEncoding: null,
            headers: { source: { bytes: bytesOf('checkout') }, attempt: 1 },
            deliveryMode: 2,
            priority: 0,
            correlationId: null,
            replyTo: null,
            expiration: null,
            messageId: stableUuid('mq-rabbitmq/message'),
            timestamp: 'Jan 15, 2026, 12:00:00 PM',
            type: null,
            userId: 'orders-producer',
            appId: null,
            clusterId: null,
            bodySize: Buffer.byteLength(v.data),
          },
          redelivered: false,
          data: toBase64(v.data),
        },
      ],
    },
  }),
});

// ---------------------------------------------------------------------------------------------------- CloudEvents

const cloudEvents = defineTemplate({
  id: 'cloudevents',
  source: 'CloudEvents',
  label: 'CloudEvents 1.0 (structured JSON)',
  description: 'A CloudEvents 1.0 event in structured JSON mode, as posted by a CloudEvents producer or bridge.',
  fields: [
    { name: 'type', prompt: 'Event type', default: 'com.example.order.placed' },
    { name: 'source', prompt: 'Event source (URI reference)', default: '/orders/api' },
    { name: 'subject', prompt: 'Subject, empty for none', default: 'orders/42' },
    { name: 'data', prompt: 'Data as JSON', default: '{"orderId":"42","total":19.5}', kind: 'json' },
  ],
  render: (v) => ({
    specversion: '1.0',
    type: v.type,
    source: v.source,
    id: stableUuid('cloudevents'),
    time: isoTimeSeconds(),
    ...(v.subject !== '' ? { subject: v.subject } : {}),
    datacontenttype: 'application/json',
    data: parseJsonField(v.data),
  }),
});

export const messagingTemplates: EventTemplate[] = [
  sqs,
  sqsFifo,
  sns,
  eventBridgeCustom,
  eventBridgeScheduled,
  eventBridgeScheduler,
  kinesis,
  firehose,
  firehoseFromStream,
  msk,
  kafkaSelfManaged,
  activeMq,
  rabbitMq,
  cloudEvents,
];
