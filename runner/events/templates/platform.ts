// Control-plane and workflow callers: CloudWatch (Logs subscriptions, alarm actions), CloudFormation custom
// resources, AWS Config rules, CodePipeline jobs, Secrets Manager rotation, Step Functions tasks and IoT rules.
import { gzipSync } from 'node:zlib';
import type {
  CloudFormationCustomResourceCreateEvent,
  CloudFormationCustomResourceDeleteEvent,
  CloudFormationCustomResourceUpdateEvent,
  CloudWatchAlarmEvent,
  CodePipelineEvent,
  SecretsManagerRotationEvent,
  SecretsManagerRotationEventStep,
} from 'aws-lambda';
import {
  ACCOUNT,
  EVENT_TIME_MS,
  FUNCTION_ARN,
  FUNCTION_NAME,
  REGION,
  arn,
  isoTime,
  stableAlnum,
  stableBase64,
  stableDigits,
  stableHex,
  stableUpper,
  stableUuid,
} from '../aws-values.ts';
import { JsonObject, StringList, defineTemplate, parseJsonField, type EventTemplate } from '../template.ts';

// -------------------------------------------------------------------------------------------------- CloudWatch

/** What a Logs subscription filter delivers, before compression. */
export interface CloudWatchLogsData {
  messageType: 'DATA_MESSAGE';
  owner: string;
  logGroup: string;
  logStream: string;
  subscriptionFilters: string[];
  logEvents: { id: string; timestamp: number; message: string }[];
}

const cloudWatchLogs = defineTemplate({
  id: 'cloudwatch-logs',
  source: 'Amazon CloudWatch',
  label: 'CloudWatch Logs subscription',
  description: 'Log events delivered by a subscription filter: awslogs.data is gzip-compressed JSON in base64, computed for real.',
  fields: [
    { name: 'logGroup', prompt: 'Log group', default: '/aws/lambda/orders-api' },
    { name: 'logStream', prompt: 'Log stream', default: `2026/01/15/[$LATEST]${stableHex('cloudwatch-logs/stream', 32)}` },
    { name: 'filterName', prompt: 'Subscription filter name', default: 'errors-to-alerts' },
    {
      name: 'messages',
      prompt: 'Log messages as a JSON array of strings',
      default: JSON.stringify([
        `2026-01-15T12:00:00.000Z\t${stableUuid('cloudwatch-logs/request')}\tERROR\tPayment declined for order 42`,
        `2026-01-15T12:00:00.120Z\t${stableUuid('cloudwatch-logs/request')}\tINFO\tRetrying in 2 s`,
      ]),
      kind: 'json',
      schema: StringList.min(1),
    },
  ],
  render: (v) => {
    const messages = parseJsonField<string[]>(v.messages);
    const data: CloudWatchLogsData = {
      messageType: 'DATA_MESSAGE',
      owner: ACCOUNT,
      logGroup: v.logGroup,
      logStream: v.logStream,
      subscriptionFilters: [v.filterName],
      logEvents: messages.map((message, index) => ({
        id: `3${stableDigits(`cloudwatch-logs/event/${index}`, 55)}`,
        timestamp: EVENT_TIME_MS + index * 120,
        message,
      })),
    };
    return { awslogs: { data: gzipSync(Buffer.from(JSON.stringify(data))).toString('base64') } };
  },
});

const cloudWatchTime = (offsetMs = 0) => isoTime(offsetMs).replace('Z', '+0000');

const cloudWatchAlarm = defineTemplate({
  id: 'cloudwatch-alarm',
  source: 'Amazon CloudWatch',
  label: 'CloudWatch alarm state change',
  description: 'A metric alarm with the function as its alarm action changes state.',
  fields: [
    { name: 'alarmName', prompt: 'Alarm name', default: 'orders-api-errors' },
    { name: 'state', prompt: 'New state', default: 'ALARM', kind: 'choice', choices: ['ALARM', 'OK', 'INSUFFICIENT_DATA'] },
    { name: 'functionName', prompt: 'Function whose Errors metric is watched', default: 'orders-api' },
  ],
  render: (v): CloudWatchAlarmEvent => {
    const previous = v.state === 'OK' ? 'ALARM' : 'OK';
    const crossed = v.state === 'ALARM';
    return {
      source: 'aws.cloudwatch',
      alarmArn: arn('cloudwatch', `alarm:${v.alarmName}`),
      accountId: ACCOUNT,
      time: cloudWatchTime(),
      region: REGION,
      alarmData: {
        alarmName: v.alarmName,
        state: {
          value: v.state,
          reason: `Threshold Crossed: 1 out of the last 1 datapoints [${crossed ? '5.0' : '0.0'} (15/01/26 11:59:00)] was ${crossed ? 'greater than or equal to' : 'not greater than or equal to'} the threshold (1.0) (minimum 1 datapoint for ${previous} -> ${v.state} transition).`,
          reasonData: JSON.stringify({
            version: '1.0',
            queryDate: cloudWatchTime(),
            startDate: cloudWatchTime(-60_000),
            statistic: 'Sum',
            period: 60,
            recentDatapoints: [crossed ? 5.0 : 0.0],
            threshold: 1.0,
            evaluatedDatapoints: [{ timestamp: cloudWatchTime(-60_000), sampleCount: 1.0, value: crossed ? 5.0 : 0.0 }],
          }),
          timestamp: cloudWatchTime(),
        },
        previousState: { value: previous, reason: 'Threshold Crossed', timestamp: cloudWatchTime(-3_600_000) },
        configuration: {
          description: `Errors in ${v.functionName}`,
          metrics: [
            {
              id: stableUuid('cloudwatch-alarm/metric'),
              metricStat: { metric: { namespace: 'AWS/Lambda', name: 'Errors', dimensions: { FunctionName: v.functionName } }, period: 60, stat: 'Sum' },
              returnData: true,
            },
          ],
        },
      },
    };
  },
});

// ----------------------------------------------------------------------------------------------- CloudFormation

const STACK_ID = arn('cloudformation', `stack/orders-stack/${stableUuid('cloudformation/stack')}`);

/** CloudFormation hands every scalar property to the function as a string: 3 becomes "3", true becomes "true". */
function asCloudFormationSends(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asCloudFormationSends);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asCloudFormationSends(v)]));
  }
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
}

function customResourceBase(seed: string, logicalId: string, resourceType: string, properties: string) {
  const requestId = stableUuid(`${seed}/request`);
  const responseKey = encodeURIComponent(`${STACK_ID}|${logicalId}|${requestId}`);
  return {
    ServiceToken: FUNCTION_ARN,
    ResponseURL:
      `https://cloudformation-custom-resource-response-${REGION.replace(/-/g, '')}.s3.amazonaws.com/${responseKey}` +
      `?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20260115T120000Z&X-Amz-SignedHeaders=host&X-Amz-Expires=7200` +
      `&X-Amz-Credential=AKIA${stableUpper(`${seed}/key`, 16)}%2F20260115%2F${REGION}%2Fs3%2Faws4_request&X-Amz-Signature=${stableHex(`${seed}/signature`, 64)}`,
    StackId: STACK_ID,
    RequestId: requestId,
    LogicalResourceId: logicalId,
    ResourceType: resourceType,
    ResourceProperties: { ServiceToken: FUNCTION_ARN, ...(asCloudFormationSends(parseJsonField(properties)) as Record<string, unknown>) },
  };
}

const logicalIdField = { name: 'logicalId' as const, prompt: 'Logical id in the template', default: 'OrdersSeedData' };
const resourceTypeField = { name: 'resourceType' as const, prompt: 'Resource type (Custom::Name)', default: 'Custom::SeedData' };
const propertiesField = (name: 'properties' | 'oldProperties', prompt: string, value: string) => ({
  name,
  prompt,
  default: value,
  kind: 'json' as const,
  schema: JsonObject,
});
const physicalIdField = { name: 'physicalId' as const, prompt: 'Physical id the function returned on Create', default: 'orders-seed-2026-01-15' };
const PROPERTIES = '{"TableName":"Orders","Rows":25,"Overwrite":false}';

const customResourceCreate = defineTemplate({
  id: 'cloudformation-create',
  source: 'AWS CloudFormation',
  label: 'CloudFormation custom resource Create',
  description: 'A stack creates a custom resource; properties arrive as strings ("25", "false") like CloudFormation sends them.',
  fields: [logicalIdField, resourceTypeField, propertiesField('properties', 'Resource properties as a JSON object', PROPERTIES)],
  render: (v): CloudFormationCustomResourceCreateEvent => ({
    RequestType: 'Create',
    ...customResourceBase('cloudformation-create', v.logicalId, v.resourceType, v.properties),
  }),
});

const customResourceUpdate = defineTemplate({
  id: 'cloudformation-update',
  source: 'AWS CloudFormation',
  label: 'CloudFormation custom resource Update',
  description: "A stack update changes a custom resource's properties: new and old properties plus the physical id.",
  fields: [
    logicalIdField,
    resourceTypeField,
    physicalIdField,
    propertiesField('properties', 'New resource properties as a JSON object', PROPERTIES.replace('25', '50')),
    propertiesField('oldProperties', 'Previous resource properties as a JSON object', PROPERTIES),
  ],
  render: (v): CloudFormationCustomResourceUpdateEvent => ({
    RequestType: 'Update',
    ...customResourceBase('cloudformation-update', v.logicalId, v.resourceType, v.properties),
    PhysicalResourceId: v.physicalId,
    OldResourceProperties: { ServiceToken: FUNCTION_ARN, ...(asCloudFormationSends(parseJsonField(v.oldProperties)) as Record<string, unknown>) },
  }),
});

const customResourceDelete = defineTemplate({
  id: 'cloudformation-delete',
  source: 'AWS CloudFormation',
  label: 'CloudFormation custom resource Delete',
  description: 'A stack deletes a custom resource (or replaces it): the function must answer or the stack waits an hour.',
  fields: [logicalIdField, resourceTypeField, physicalIdField, propertiesField('properties', 'Resource properties as a JSON object', PROPERTIES)],
  render: (v): CloudFormationCustomResourceDeleteEvent => ({
    RequestType: 'Delete',
    ...customResourceBase('cloudformation-delete', v.logicalId, v.resourceType, v.properties),
    PhysicalResourceId: v.physicalId,
  }),
});

// --------------------------------------------------------------------------------------------------- AWS Config

const configRule = defineTemplate({
  id: 'config-rule',
  source: 'AWS Config',
  label: 'Config rule: configuration change',
  description: 'A custom Config rule evaluating a changed resource; invokingEvent and ruleParameters are JSON text, as Config sends them.',
  fields: [
    { name: 'ruleName', prompt: 'Config rule name', default: 'buckets-must-be-encrypted' },
    { name: 'resourceType', prompt: 'Resource type', default: 'AWS::S3::Bucket' },
    { name: 'resourceId', prompt: 'Resource id', default: 'orders-uploads' },
    {
      name: 'configuration',
      prompt: 'The resource configuration as a JSON object',
      default: '{"name":"orders-uploads","serverSideEncryptionConfiguration":null}',
      kind: 'json',
      schema: JsonObject,
    },
    { name: 'ruleParameters', prompt: 'Rule parameters as a JSON object', default: '{"requiredAlgorithm":"aws:kms"}', kind: 'json', schema: JsonObject },
  ],
  render: (v) => {
    const ruleId = `config-rule-${stableAlnum('config-rule/id', 6).toLowerCase()}`;
    const resourceArn = v.resourceType === 'AWS::S3::Bucket' ? `arn:aws:s3:::${v.resourceId}` : arn(v.resourceType.split('::')[1]!.toLowerCase(), v.resourceId);
    const invokingEvent = {
      configurationItemDiff: null,
      configurationItem: {
        relatedEvents: [],
        relationships: [],
        configuration: parseJsonField(v.configuration),
        supplementaryConfiguration: {},
        tags: {},
        configurationItemVersion: '1.3',
        configurationItemCaptureTime: isoTime(-30_000),
        configurationStateId: EVENT_TIME_MS - 30_000,
        awsAccountId: ACCOUNT,
        configurationItemStatus: 'OK',
        resourceType: v.resourceType,
        resourceId: v.resourceId,
        resourceName: v.resourceId,
        ARN: resourceArn,
        awsRegion: REGION,
        availabilityZone: 'Regional',
        configurationStateMd5Hash: '',
      },
      notificationCreationTime: isoTime(),
      messageType: 'ConfigurationItemChangeNotification',
      recordVersion: '1.3',
    };
    return {
      version: '1.0',
      invokingEvent: JSON.stringify(invokingEvent),
      ruleParameters: v.ruleParameters,
      resultToken: stableBase64('config-rule/result-token', 180),
      eventLeftScope: false,
      executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig`,
      configRuleArn: arn('config', `config-rule/${ruleId}`),
      configRuleName: v.ruleName,
      configRuleId: ruleId,
      accountId: ACCOUNT,
      evaluationMode: 'DETECTIVE',
    };
  },
});

// ------------------------------------------------------------------------------------------------- CodePipeline

const codePipeline = defineTemplate({
  id: 'codepipeline-job',
  source: 'AWS CodePipeline',
  label: 'CodePipeline Lambda action job',
  description: "A pipeline's Invoke action: the job id to report back with PutJobSuccessResult, artifacts and temporary credentials.",
  fields: [
    { name: 'userParameters', prompt: 'UserParameters configured on the action', default: '{"environment":"staging"}' },
    { name: 'pipelineBucket', prompt: 'Artifact bucket', default: 'codepipeline-us-east-1-123456789012' },
  ],
  render: (v): CodePipelineEvent => ({
    'CodePipeline.job': {
      id: stableUuid('codepipeline-job'),
      accountId: ACCOUNT,
      data: {
        actionConfiguration: { configuration: { FunctionName: FUNCTION_NAME, UserParameters: v.userParameters } },
        inputArtifacts: [
          {
            name: 'BuildOutput',
            revision: stableHex('codepipeline-job/revision', 40),
            location: {
              type: 'S3',
              s3Location: { bucketName: v.pipelineBucket, objectKey: `orders-pipeline/BuildOutpu/${stableAlnum('codepipeline-job/in', 7)}` },
            },
          },
        ],
        outputArtifacts: [
          {
            name: 'DeployOutput',
            revision: null,
            location: {
              type: 'S3',
              s3Location: { bucketName: v.pipelineBucket, objectKey: `orders-pipeline/DeployOutp/${stableAlnum('codepipeline-job/out', 7)}` },
            },
          },
        ],
        artifactCredentials: {
          accessKeyId: `ASIA${stableUpper('codepipeline-job/key', 16)}`,
          secretAccessKey: stableBase64('codepipeline-job/secret', 30),
          sessionToken: stableBase64('codepipeline-job/session', 180),
        },
      },
    },
  }),
});

// ----------------------------------------------------------------------------------------------- Secrets Manager

const ROTATION_STEPS: SecretsManagerRotationEventStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];

const secretsRotation = defineTemplate({
  id: 'secrets-manager-rotation',
  source: 'AWS Secrets Manager',
  label: 'Secrets Manager rotation step',
  description: 'One of the four rotation steps; the same ClientRequestToken (the new version id) is passed to all four.',
  fields: [
    { name: 'secretName', prompt: 'Secret name', default: 'orders/database' },
    { name: 'step', prompt: 'Rotation step', default: 'createSecret', kind: 'choice', choices: ROTATION_STEPS },
  ],
  render: (v): SecretsManagerRotationEvent => ({
    Step: v.step as SecretsManagerRotationEventStep,
    SecretId: arn('secretsmanager', `secret:${v.secretName}-${stableAlnum(`secrets/${v.secretName}`, 6)}`),
    ClientRequestToken: stableUuid('secrets-manager-rotation/version'),
  }),
});

// ------------------------------------------------------------------------------------------------ Step Functions

const stepFunctionsInput = '{"orderId":"42","customerId":"1001","total":19.5}';

const stepFunctionsTask = defineTemplate({
  id: 'stepfunctions-task',
  source: 'AWS Step Functions',
  label: 'Step Functions task input',
  description: 'A Task state invoking the function (arn:aws:states:::lambda:invoke with Payload.$ "$"): the event is the state input.',
  fields: [{ name: 'input', prompt: 'State input as JSON', default: stepFunctionsInput, kind: 'json' }],
  render: (v) => parseJsonField(v.input),
});

const stepFunctionsTaskToken = defineTemplate({
  id: 'stepfunctions-task-token',
  source: 'AWS Step Functions',
  label: 'Step Functions task with callback token',
  description: 'A .waitForTaskToken Task with Payload {"input.$": "$", "taskToken.$": "$$.Task.Token"}: report back with SendTaskSuccess.',
  fields: [{ name: 'input', prompt: 'State input as JSON', default: stepFunctionsInput, kind: 'json' }],
  render: (v) => ({ input: parseJsonField(v.input), taskToken: `AQCEAAAAKgAAAAMAAAAAAAAAA${stableBase64('stepfunctions-task-token', 240)}` }),
});

// ------------------------------------------------------------------------------------------------------ IoT Core

const iotRule = defineTemplate({
  id: 'iot-rule',
  source: 'AWS IoT Core',
  label: 'IoT rule action',
  description: 'An IoT topic rule "SELECT *, topic() AS topic, timestamp() AS timestamp FROM \'devices/+/telemetry\'" invoking the function.',
  fields: [
    { name: 'topic', prompt: 'MQTT topic the device published to', default: 'devices/thermostat-42/telemetry' },
    {
      name: 'payload',
      prompt: 'Message payload as a JSON object',
      default: '{"temperature":21.5,"humidity":48,"battery":0.87}',
      kind: 'json',
      schema: JsonObject,
    },
  ],
  render: (v) => ({ ...parseJsonField<Record<string, unknown>>(v.payload), topic: v.topic, timestamp: EVENT_TIME_MS }),
});

export const platformTemplates: EventTemplate[] = [
  cloudWatchLogs,
  cloudWatchAlarm,
  customResourceCreate,
  customResourceUpdate,
  customResourceDelete,
  configRule,
  codePipeline,
  secretsRotation,
  stepFunctionsTask,
  stepFunctionsTaskToken,
  iotRule,
];
