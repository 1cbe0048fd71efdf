// "New Function" templates, vscode-free so the CLI can reuse them: a handler per language x event source,
// the template.yaml resource for it, and which catalogue event to save next to it. `planFunction` says what
// to write; `writeScaffold` writes it, adding the resource to template.yaml (created if missing) without
// touching the rest of the file. TypeScript, JavaScript and Python functions invoke successfully as written;
// Go, Rust and WASI ones come with a build note (they run once built).
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Document, isMap, isScalar, LineCounter, parseDocument, type Pair, type YAMLMap } from 'yaml';

export const SCAFFOLD_LANGUAGES = [
  { id: 'typescript', label: 'TypeScript', runtime: 'nodejs22.x', description: 'Node.js 22, ES module, types from @types/aws-lambda' },
  { id: 'javascript', label: 'JavaScript', runtime: 'nodejs22.x', description: 'Node.js 22, ES module (.mjs)' },
  { id: 'python', label: 'Python', runtime: 'python3.12', description: 'Python 3.12' },
  { id: 'go', label: 'Go', runtime: 'provided.al2023', description: 'aws-lambda-go on provided.al2023 (build with go build)' },
  { id: 'rust', label: 'Rust', runtime: 'provided.al2023', description: 'lambda_runtime on provided.al2023 (build with cargo lambda)' },
  { id: 'wasi', label: 'WASI component', runtime: 'wasi', description: 'A WebAssembly component written in JavaScript (build with jco componentize)' },
] as const;
export type ScaffoldLanguage = (typeof SCAFFOLD_LANGUAGES)[number]['id'];

export interface EventSourceKind {
  readonly id: string;
  readonly label: string;
  readonly description: string;
  /** The catalogue template saved as the function's first event. */
  readonly eventTemplate: string;
  /** What the handler does with the event. */
  readonly shape: 'http' | 'records-batch' | 'records' | 'event' | 'direct';
}

export const SCAFFOLD_SOURCES: readonly EventSourceKind[] = [
  { id: 'http-api', label: 'HTTP API', description: 'API Gateway HTTP API', eventTemplate: 'apigw-http', shape: 'http' },
  { id: 'rest-api', label: 'REST API', description: 'API Gateway REST API', eventTemplate: 'apigw-rest-proxy', shape: 'http' },
  { id: 'function-url', label: 'Function URL', description: 'Lambda function URL', eventTemplate: 'function-url', shape: 'http' },
  { id: 'queue', label: 'Queue', description: 'Amazon SQS messages', eventTemplate: 'sqs', shape: 'records-batch' },
  { id: 'topic', label: 'Topic', description: 'Amazon SNS notifications', eventTemplate: 'sns', shape: 'records' },
  { id: 'schedule', label: 'Schedule', description: 'EventBridge schedule events (every 5 minutes)', eventTemplate: 'eventbridge-scheduled', shape: 'event' },
  { id: 'eventbridge', label: 'EventBridge rule', description: 'EventBridge events matched by a rule', eventTemplate: 'eventbridge-custom', shape: 'event' },
  { id: 'stream', label: 'DynamoDB stream', description: 'DynamoDB Streams records', eventTemplate: 'dynamodb-insert', shape: 'records-batch' },
  { id: 'kinesis', label: 'Kinesis stream', description: 'Kinesis Data Streams records', eventTemplate: 'kinesis', shape: 'records-batch' },
  { id: 's3', label: 'S3 object created', description: 'Amazon S3 object-created notifications', eventTemplate: 's3-put', shape: 'records' },
  { id: 'direct', label: 'Direct invoke', description: 'direct invocations (SDK, CLI, Step Functions)', eventTemplate: 'cloudevents', shape: 'direct' },
];

export interface ScaffoldRequest {
  /** Logical id in template.yaml, e.g. "OrdersApi" (letters and digits, starting with a letter). */
  readonly name: string;
  readonly language: ScaffoldLanguage;
  readonly source: string;
}

export interface ScaffoldFile {
  /** Relative to the workspace folder, with '/'. */
  readonly path: string;
  readonly content: string;
}

export interface ScaffoldPlan {
  readonly name: string;
  readonly folder: string;
  readonly files: readonly ScaffoldFile[];
  /** The file the editor opens first. */
  readonly mainFile: string;
  /** template.yaml resources to add, by logical id (the function first). */
  readonly resources: ReadonlyArray<readonly [string, Record<string, unknown>]>;
  readonly eventTemplate: string;
  /** Saved event name. */
  readonly eventName: string;
  /** Set when the function must be built before it runs. */
  readonly buildNote?: string;
}

/** A CloudFormation logical id: what the user typed, made valid ("orders api" -> "OrdersApi"). */
export function logicalIdFor(input: string): string {
  const words = input
    .trim()
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  // "HTTP API" -> "HttpApi": all-caps words become capitalised, mixed-case ones ("OrdersAPI") stay as typed.
  const id = words.map((w) => w[0]!.toUpperCase() + (w === w.toUpperCase() ? w.slice(1).toLowerCase() : w.slice(1))).join('');
  return /^[A-Za-z]/.test(id) ? id.slice(0, 64) : `Fn${id}`.slice(0, 64);
}

export function validateFunctionName(input: string): string | undefined {
  if (!input.trim()) return 'Give the function a name, such as OrdersApi.';
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(input.trim()))
    return `Use letters and digits only, starting with a letter (template.yaml logical id): for example ${logicalIdFor(input) || 'OrdersApi'}.`;
  if (input.trim().length > 64) return 'Keep it to 64 characters at most.';
  return undefined;
}

/** "OrdersApi" -> "orders-api", the folder under functions/. */
export function folderNameFor(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}

export function planFunction(req: ScaffoldRequest): ScaffoldPlan {
  const problem = validateFunctionName(req.name);
  if (problem) throw new Error(problem);
  const language = SCAFFOLD_LANGUAGES.find((l) => l.id === req.language);
  if (!language) throw new Error(`Unknown language "${req.language}"; choose one of ${SCAFFOLD_LANGUAGES.map((l) => l.id).join(', ')}.`);
  const source = SCAFFOLD_SOURCES.find((s) => s.id === req.source);
  if (!source) throw new Error(`Unknown event source "${req.source}"; choose one of ${SCAFFOLD_SOURCES.map((s) => s.id).join(', ')}.`);
  const name = req.name.trim();
  const folder = `functions/${folderNameFor(name)}`;
  const code = handlerFiles(language.id, source, name);
  const properties: Record<string, unknown> = {
    CodeUri: `${folder}/`,
    ...(code.handler !== undefined ? { Handler: code.handler } : {}),
    Runtime: language.runtime,
    ...(language.id === 'go' || language.id === 'rust' ? { Architectures: ['x86_64'] } : {}),
  };
  const { events, extra } = samEvents(source, name);
  if (events) properties.Events = events;
  if (source.id === 'function-url') properties.FunctionUrlConfig = { AuthType: 'NONE' };
  const fn: Record<string, unknown> = { Type: 'AWS::Serverless::Function' };
  if (code.metadata) fn.Metadata = code.metadata;
  fn.Properties = properties;
  return {
    name,
    folder,
    files: code.files.map((f) => ({ path: `${folder}/${f.path}`, content: f.content })),
    mainFile: `${folder}/${code.files[0]!.path}`,
    resources: [[name, fn], ...extra],
    eventTemplate: source.eventTemplate,
    eventName: source.eventTemplate,
    ...(code.buildNote ? { buildNote: code.buildNote } : {}),
  };
}

function samEvents(source: EventSourceKind, name: string): { events?: Record<string, unknown>; extra: Array<[string, Record<string, unknown>]> } {
  const path = `/${folderNameFor(name)}`;
  switch (source.id) {
    case 'http-api':
      return { events: { Api: { Type: 'HttpApi', Properties: { Path: path, Method: 'GET' } } }, extra: [] };
    case 'rest-api':
      return { events: { Api: { Type: 'Api', Properties: { Path: path, Method: 'get' } } }, extra: [] };
    case 'function-url':
      return { events: undefined, extra: [] };
    case 'queue':
      return {
        events: {
          Queue: {
            Type: 'SQS',
            Properties: { Queue: { 'Fn::GetAtt': [`${name}Queue`, 'Arn'] }, BatchSize: 10, FunctionResponseTypes: ['ReportBatchItemFailures'] },
          },
        },
        extra: [[`${name}Queue`, { Type: 'AWS::SQS::Queue' }]],
      };
    case 'topic':
      return { events: { Topic: { Type: 'SNS', Properties: { Topic: { Ref: `${name}Topic` } } } }, extra: [[`${name}Topic`, { Type: 'AWS::SNS::Topic' }]] };
    case 'schedule':
      return { events: { Schedule: { Type: 'ScheduleV2', Properties: { ScheduleExpression: 'rate(5 minutes)' } } }, extra: [] };
    case 'eventbridge':
      return { events: { Rule: { Type: 'EventBridgeRule', Properties: { Pattern: { source: ['com.example.orders'] } } } }, extra: [] };
    case 'stream':
      return {
        events: {
          Stream: {
            Type: 'DynamoDB',
            Properties: {
              Stream: { 'Fn::GetAtt': [`${name}Table`, 'StreamArn'] },
              StartingPosition: 'LATEST',
              FunctionResponseTypes: ['ReportBatchItemFailures'],
            },
          },
        },
        extra: [
          [
            `${name}Table`,
            {
              Type: 'AWS::DynamoDB::Table',
              Properties: {
                BillingMode: 'PAY_PER_REQUEST',
                AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
                KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
                StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
              },
            },
          ],
        ],
      };
    case 'kinesis':
      return {
        events: {
          Stream: {
            Type: 'Kinesis',
            Properties: { Stream: { 'Fn::GetAtt': [`${name}Stream`, 'Arn'] }, StartingPosition: 'LATEST', FunctionResponseTypes: ['ReportBatchItemFailures'] },
          },
        },
        extra: [[`${name}Stream`, { Type: 'AWS::Kinesis::Stream', Properties: { ShardCount: 1 } }]],
      };
    case 's3':
      return {
        events: { Upload: { Type: 'S3', Properties: { Bucket: { Ref: `${name}Bucket` }, Events: 's3:ObjectCreated:*' } } },
        extra: [[`${name}Bucket`, { Type: 'AWS::S3::Bucket' }]],
      };
    default:
      return { events: undefined, extra: [] };
  }
}

interface HandlerCode {
  files: ScaffoldFile[];
  handler?: string;
  metadata?: Record<string, unknown>;
  buildNote?: string;
}

function handlerFiles(language: ScaffoldLanguage, source: EventSourceKind, name: string): HandlerCode {
  switch (language) {
    case 'typescript':
      return {
        files: [
          { path: 'handler.ts', content: nodeHandler(source, name, true) },
          { path: 'package.json', content: nodePackageJson(name) },
        ],
        handler: 'handler.handler',
      };
    case 'javascript':
      return { files: [{ path: 'handler.mjs', content: nodeHandler(source, name, false) }], handler: 'handler.handler' };
    case 'python':
      return { files: [{ path: 'app.py', content: pythonHandler(source, name) }], handler: 'app.handler' };
    case 'go':
      return {
        files: [
          { path: 'main.go', content: goHandler(source, name) },
          { path: 'go.mod', content: goMod(name) },
        ],
        handler: 'bootstrap',
        metadata: { BuildMethod: 'go1.x' },
        buildNote: `Build it before invoking: cd ${`functions/${folderNameFor(name)}`} && go mod tidy && GOOS=linux CGO_ENABLED=0 go build -tags lambda.norpc -o bootstrap . (needs github.com/aws/aws-lambda-go from the Go module proxy).`,
      };
    case 'rust':
      return {
        files: [
          { path: 'src/main.rs', content: rustHandler(source, name) },
          { path: 'Cargo.toml', content: cargoToml(name) },
        ],
        handler: 'bootstrap',
        metadata: { BuildMethod: 'rust-cargolambda' },
        buildNote: `Build it before invoking: cd functions/${folderNameFor(name)} && cargo lambda build --release, then copy target/lambda/${folderNameFor(name)}/bootstrap next to Cargo.toml (needs the lambda_runtime crates from crates.io).`,
      };
    case 'wasi':
      return {
        files: [
          { path: 'component.js', content: wasiComponent(source, name) },
          { path: 'wit/handler.wit', content: WASI_WIT },
        ],
        handler: 'component.wasm',
        buildNote: `Build it before invoking: cd functions/${folderNameFor(name)} && npx @bytecodealliance/jco@1.34.0 componentize component.js --wit wit --world-name handler --out component.wasm.`,
      };
  }
}

// --- handler sources. Each one logs what it got (so the output channel shows something) and returns what
// the event source expects back. ---

/** The Node handler; `typed` adds the TypeScript types (from @types/aws-lambda, erased at run time). */
function nodeHandler(source: EventSourceKind, name: string, typed: boolean): string {
  const t = (ts: string) => (typed ? ts : '');
  const imports = (...types: string[]) => (typed ? `import type { ${types.join(', ')} } from 'aws-lambda';\n\n` : '');
  switch (source.shape) {
    case 'http': {
      const rest = source.id === 'rest-api';
      const [eventType, resultType] = rest ? ['APIGatewayProxyEvent', 'APIGatewayProxyResult'] : ['APIGatewayProxyEventV2', 'APIGatewayProxyResultV2'];
      const path = rest ? 'event.path' : 'event.rawPath';
      const method = rest ? 'event.httpMethod' : 'event.requestContext.http.method';
      return `${imports(eventType, resultType, 'Context')}// ${name}: answers ${source.description} requests.
export const handler = async (event${t(`: ${eventType}`)}, context${t(': Context')})${t(`: Promise<${resultType}>`)} => {
  const name = event.queryStringParameters?.name ?? 'world';
  console.log(\`\${${method}} \${${path}} (request \${context.awsRequestId})\`);
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: \`Hello, \${name}!\`, path: ${path} }),
  };
};
`;
    }
    case 'records-batch': {
      const [eventType, idOf, body] =
        source.id === 'queue'
          ? ['SQSEvent', 'record.messageId', 'record.body']
          : source.id === 'stream'
            ? ['DynamoDBStreamEvent', "record.dynamodb?.SequenceNumber ?? ''", 'JSON.stringify(record.dynamodb?.NewImage ?? {})']
            : ['KinesisStreamEvent', 'record.kinesis.sequenceNumber', "Buffer.from(record.kinesis.data, 'base64').toString('utf8')"];
      return `${imports(eventType, 'SQSBatchResponse')}// ${name}: processes batches of ${source.description}; failed records are reported back so only they are retried.
export const handler = async (event${t(`: ${eventType}`)})${t(': Promise<SQSBatchResponse>')} => {
  const batchItemFailures${t(": SQSBatchResponse['batchItemFailures']")} = [];
  for (const record of event.Records) {
    try {
      console.log('processing', ${body});
    } catch (error) {
      console.error('failed', error);
      batchItemFailures.push({ itemIdentifier: ${idOf} });
    }
  }
  return { batchItemFailures };
};
`;
    }
    case 'records': {
      const s3 = source.id === 's3';
      const what = s3 ? "`s3://${record.s3.bucket.name}/${decodeURIComponent(record.s3.object.key.replace(/\\+/g, ' '))}`" : 'record.Sns.Message';
      return `${imports(s3 ? 'S3Event' : 'SNSEvent')}// ${name}: handles ${source.description}.
export const handler = async (event${t(`: ${s3 ? 'S3Event' : 'SNSEvent'}`)})${t(': Promise<{ processed: number }>')} => {
  for (const record of event.Records) {
    console.log('received', ${what});
  }
  return { processed: event.Records.length };
};
`;
    }
    case 'event':
      return `${imports('EventBridgeEvent')}// ${name}: runs on ${source.id === 'schedule' ? 'a schedule' : 'matching EventBridge events'}.
export const handler = async (event${t(': EventBridgeEvent<string, unknown>')})${t(': Promise<{ ok: boolean; detailType: string }>')} => {
  console.log(\`\${event['detail-type']} from \${event.source} at \${event.time}\`, JSON.stringify(event.detail));
  return { ok: true, detailType: event['detail-type'] };
};
`;
    case 'direct':
      return `${imports('Context')}// ${name}: called directly (SDK, CLI, Step Functions...). Returns what it was given, with a greeting.
export const handler = async (event${t(': Record<string, unknown>')}, context${t(': Context')}) => {
  console.log('invoked by', context.functionName, 'with', JSON.stringify(event));
  return { message: 'Hello from ${name}!', received: event };
};
`;
  }
}

function pythonHandler(source: EventSourceKind, name: string): string {
  switch (source.shape) {
    case 'http': {
      const [method, path] =
        source.id === 'rest-api' ? ['event["httpMethod"]', 'event["path"]'] : ['event["requestContext"]["http"]["method"]', 'event["rawPath"]'];
      return `import json
import logging

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def handler(event, context):
    """${name}: answers ${source.description} requests."""
    name = (event.get("queryStringParameters") or {}).get("name", "world")
    logger.info("%s %s (request %s)", ${method}, ${path}, context.aws_request_id)
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"message": f"Hello, {name}!", "path": ${path}}),
    }
`;
    }
    case 'records-batch': {
      const [idOf, body] =
        source.id === 'queue'
          ? ['record["messageId"]', 'record["body"]']
          : source.id === 'stream'
            ? ['record["dynamodb"]["SequenceNumber"]', 'json.dumps(record["dynamodb"].get("NewImage", {}))']
            : ['record["kinesis"]["sequenceNumber"]', 'base64.b64decode(record["kinesis"]["data"]).decode("utf-8")'];
      return `import base64
import json
import logging

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def handler(event, context):
    """${name}: processes batches of ${source.description}; failed records are reported back for retry."""
    failures = []
    for record in event["Records"]:
        try:
            logger.info("processing %s", ${body})
        except Exception:  # report the record, keep going with the batch
            logger.exception("failed")
            failures.append({"itemIdentifier": ${idOf}})
    return {"batchItemFailures": failures}
`;
    }
    case 'records': {
      const what = source.id === 's3' ? "f\"s3://{record['s3']['bucket']['name']}/{unquote_plus(record['s3']['object']['key'])}\"" : 'record["Sns"]["Message"]';
      return `import logging
from urllib.parse import unquote_plus

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def handler(event, context):
    """${name}: handles ${source.description}."""
    for record in event["Records"]:
        logger.info("received %s", ${what})
    return {"processed": len(event["Records"])}
`;
    }
    case 'event':
      return `import json
import logging

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def handler(event, context):
    """${name}: runs on ${source.id === 'schedule' ? 'a schedule' : 'matching EventBridge events'}."""
    logger.info("%s from %s at %s: %s", event["detail-type"], event["source"], event["time"], json.dumps(event.get("detail")))
    return {"ok": True, "detailType": event["detail-type"]}
`;
    case 'direct':
      return `import json
import logging

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def handler(event, context):
    """${name}: called directly (SDK, CLI, Step Functions...). Returns what it was given, with a greeting."""
    logger.info("invoked by %s with %s", context.function_name, json.dumps(event))
    return {"message": "Hello from ${name}!", "received": event}
`;
  }
}

function goHandler(source: EventSourceKind, name: string): string {
  const [eventType, body] = (() => {
    switch (source.shape) {
      case 'http':
        return source.id === 'rest-api'
          ? [
              'events.APIGatewayProxyRequest',
              'return events.APIGatewayProxyResponse{StatusCode: 200, Headers: map[string]string{"content-type": "application/json"}, Body: `{"message":"Hello from Go!"}`}, nil',
            ]
          : [
              'events.APIGatewayV2HTTPRequest',
              'return events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: map[string]string{"content-type": "application/json"}, Body: `{"message":"Hello from Go!"}`}, nil',
            ];
      case 'records-batch':
        return [
          source.id === 'queue' ? 'events.SQSEvent' : source.id === 'stream' ? 'events.DynamoDBEvent' : 'events.KinesisEvent',
          'log.Printf("processing %d records", len(event.Records))\n\treturn events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}, nil',
        ];
      case 'records':
        return [
          source.id === 's3' ? 'events.S3Event' : 'events.SNSEvent',
          'log.Printf("received %d records", len(event.Records))\n\treturn map[string]int{"processed": len(event.Records)}, nil',
        ];
      case 'event':
        return [
          'events.CloudWatchEvent',
          'log.Printf("%s from %s", event.DetailType, event.Source)\n\treturn map[string]any{"ok": true, "detailType": event.DetailType}, nil',
        ];
      case 'direct':
        return [
          'map[string]any',
          'log.Printf("invoked with %v", event)\n\treturn map[string]any{"message": "Hello from ' + name + '!", "received": event}, nil',
        ];
    }
  })();
  const result = body.startsWith('return events.APIGatewayProxyResponse')
    ? 'events.APIGatewayProxyResponse'
    : body.startsWith('return events.APIGatewayV2HTTPResponse')
      ? 'events.APIGatewayV2HTTPResponse'
      : body.includes('SQSEventResponse')
        ? 'events.SQSEventResponse'
        : body.includes('map[string]int')
          ? 'map[string]int'
          : 'map[string]any';
  const usesEvents = eventType.startsWith('events.') || result.startsWith('events.');
  return `// ${name}: ${source.description}.
// Build: GOOS=linux CGO_ENABLED=0 go build -tags lambda.norpc -o bootstrap .
package main

import (
	"context"
	"log"

${usesEvents ? '\t"github.com/aws/aws-lambda-go/events"\n' : ''}\t"github.com/aws/aws-lambda-go/lambda"
)

func handleRequest(ctx context.Context, event ${eventType}) (${result}, error) {
	${body}
}

func main() {
	lambda.Start(handleRequest)
}
`;
}

function nodePackageJson(name: string): string {
  return `${JSON.stringify(
    {
      name: folderNameFor(name),
      private: true,
      type: 'module',
      devDependencies: { '@types/aws-lambda': '^8.10.0' },
    },
    null,
    2,
  )}\n`;
}

function goMod(name: string): string {
  return `module ${folderNameFor(name)}

go 1.19

require github.com/aws/aws-lambda-go v1.47.0
`;
}

function rustHandler(source: EventSourceKind, name: string): string {
  return `// ${name}: ${source.description}.
// Build: cargo lambda build --release
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

async fn function_handler(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let (payload, context) = event.into_parts();
    tracing::info!(request_id = %context.request_id, "received an event");
    ${
      source.shape === 'http'
        ? 'Ok(json!({ "statusCode": 200, "headers": { "content-type": "application/json" }, "body": json!({ "message": "Hello from Rust!" }).to_string() }))'
        : source.shape === 'records-batch'
          ? 'let _ = payload;\n    Ok(json!({ "batchItemFailures": [] }))'
          : `Ok(json!({ "message": "Hello from ${name}!", "received": payload }))`
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt().with_ansi(false).without_time().init();
    run(service_fn(function_handler)).await
}
`;
}

function cargoToml(name: string): string {
  return `[package]
name = "${folderNameFor(name)}"
version = "0.1.0"
edition = "2021"

[dependencies]
lambda_runtime = "0.13"
serde_json = "1"
tokio = { version = "1", features = ["macros"] }
tracing = "0.1"
tracing-subscriber = { version = "0.3", features = ["fmt"] }
`;
}

const WASI_WIT = `package open-runtime:handler;

/// A function as a WebAssembly component: the event and the response are JSON text.
world handler {
  export handle: func(event: string) -> result<string, string>;
}
`;

function wasiComponent(source: EventSourceKind, name: string): string {
  const response =
    source.shape === 'http'
      ? "{ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'Hello from a component!' }) }"
      : source.shape === 'records-batch'
        ? '{ batchItemFailures: [] }'
        : `{ message: 'Hello from ${name}!', received: event }`;
  return `// ${name}: ${source.description}, as a WASI component (world "handler" in wit/handler.wit).
// Build: npx @bytecodealliance/jco@1.34.0 componentize component.js --wit wit --world-name handler --out component.wasm
export function handle(eventJson) {
  const event = JSON.parse(eventJson);
  console.log('received', eventJson.length, 'bytes');
  return JSON.stringify(${response});
}
`;
}

// --- writing ---

export interface ScaffoldResult {
  /** Absolute paths written. */
  readonly written: string[];
  readonly templateFile: string;
  readonly templateCreated: boolean;
  /** 1-based line of the new function in template.yaml. */
  readonly templateLine: number;
}

/** The template file functions are added to: the folder's existing one, or template.yaml. */
export function templateFileIn(workspaceDir: string): string {
  const existing = ['template.yaml', 'template.yml'].map((f) => join(workspaceDir, f)).find((f) => existsSync(f));
  return existing ?? join(workspaceDir, 'template.yaml');
}

/** Writes the handler files and adds the resources to template.yaml. Never overwrites a file. */
export async function writeScaffold(workspaceDir: string, plan: ScaffoldPlan): Promise<ScaffoldResult> {
  const templateFile = templateFileIn(workspaceDir);
  const existingTemplate = existsSync(templateFile) ? await readFile(templateFile, 'utf8') : undefined;
  const { text, line } = addResourcesToTemplate(existingTemplate, plan.resources);
  for (const f of plan.files) {
    if (existsSync(join(workspaceDir, f.path))) throw new Error(`${f.path} already exists; choose another function name so nothing is overwritten.`);
  }
  const written: string[] = [];
  for (const f of plan.files) {
    const target = join(workspaceDir, f.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, f.content, { flag: 'wx' });
    written.push(target);
  }
  await writeFile(templateFile, text);
  return { written, templateFile, templateCreated: existingTemplate === undefined, templateLine: line };
}

const NEW_TEMPLATE_HEAD = `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Description: Functions run locally by Open Runtime.

Resources:
`;

/**
 * Adds resources under `Resources:`, keeping every other byte of the template as it was (comments, folded
 * text, tags like !Ref). The YAML Document API finds where the Resources map ends and checks the result.
 */
export function addResourcesToTemplate(existing: string | undefined, resources: ScaffoldPlan['resources']): { text: string; line: number } {
  const source = existing ?? NEW_TEMPLATE_HEAD;
  const doc = parseDocument(source, { keepSourceTokens: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new Error(
      `template.yaml is not valid YAML (line ${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}); fix it first, then add the function again.`,
    );
  }
  if (existing !== undefined && doc.contents !== null && !isMap(doc.contents)) {
    throw new Error('template.yaml does not hold a mapping at its top level, so it is not a SAM/CloudFormation template; fix it or remove it.');
  }
  const resourcesPair = isMap(doc.contents) ? (doc.contents.items as Pair[]).find((p) => isScalar(p.key) && p.key.value === 'Resources') : undefined;
  const resourcesMap = resourcesPair && isMap(resourcesPair.value) ? (resourcesPair.value as YAMLMap) : undefined;
  for (const [id] of resources) {
    if (resourcesMap?.has(id)) throw new Error(`template.yaml already has a resource named ${id}; choose another function name.`);
  }

  let text: string;
  if (resourcesMap && !resourcesMap.flow && resourcesMap.items.length > 0 && resourcesMap.range) {
    const lines = new LineCounter();
    parseDocument(source, { lineCounter: lines });
    const firstKey = resourcesMap.items[0]!.key as { range?: [number, number, number] };
    const indent = firstKey.range ? lines.linePos(firstKey.range[0]).col - 1 : 2;
    const end = contentEnd(source, resourcesMap.range[1]);
    const block = serializeResources(resources, indent);
    text = `${source.slice(0, end)}${source[end - 1] === '\n' ? '' : '\n'}\n${block}${source.slice(end)}`;
  } else if (resourcesPair === undefined && isMap(doc.contents)) {
    text = `${source}${source.endsWith('\n') ? '' : '\n'}\nResources:\n${serializeResources(resources, 2)}`;
  } else if (
    existing === undefined ||
    (resourcesPair && (resourcesPair.value === null || (isScalar(resourcesPair.value) && resourcesPair.value.value === null)))
  ) {
    // A template with an empty `Resources:` (or the new template's head).
    text =
      existing === undefined
        ? `${NEW_TEMPLATE_HEAD}${serializeResources(resources, 2)}`
        : source.replace(/^Resources:[^\n]*\n?/m, `Resources:\n${serializeResources(resources, 2)}`);
  } else {
    // Flow-style or unusual Resources: fall back to re-serializing the document.
    const map = resourcesMap ?? (doc.createNode({}) as YAMLMap);
    for (const [id, r] of resources) map.set(id, doc.createNode(r));
    doc.set('Resources', map);
    text = doc.toString({ lineWidth: 0, flowCollectionPadding: false });
  }

  const check = parseDocument(text);
  const checkResources = isMap(check.contents) ? check.contents.get('Resources') : undefined;
  if (check.errors.length > 0 || !isMap(checkResources) || !resources.every(([id]) => checkResources.has(id))) {
    throw new Error('Adding the function would leave template.yaml unreadable, so it was not changed. Add the resource by hand or report this.');
  }
  const counter = new LineCounter();
  const withLines = parseDocument(text, { lineCounter: counter });
  const res = isMap(withLines.contents) ? withLines.contents.get('Resources', true) : undefined;
  const pair = isMap(res) ? (res.items as Pair[]).find((p) => isScalar(p.key) && p.key.value === resources[0]![0]) : undefined;
  const keyRange = pair && isScalar(pair.key) ? pair.key.range : undefined;
  return { text, line: keyRange ? counter.linePos(keyRange[0]).line : 1 };
}

/** End of the Resources map's last value, extended to the end of that line (before trailing blank lines). */
function contentEnd(source: string, valueEnd: number): number {
  let end = valueEnd;
  while (end > 0 && /\s/.test(source[end - 1]!)) end--;
  const nl = source.indexOf('\n', end);
  return nl === -1 ? source.length : nl + 1;
}

function serializeResources(resources: ScaffoldPlan['resources'], indent: number): string {
  // The Resources entries' own indentation is the template's indentation step (top-level keys are at 0).
  const doc = new Document(Object.fromEntries(resources));
  const yamlText = doc.toString({ lineWidth: 0, flowCollectionPadding: false, indent: Math.max(1, indent) });
  const pad = ' '.repeat(indent);
  return yamlText
    .split('\n')
    .map((l) => (l ? pad + l : l))
    .join('\n')
    .replace(/\n*$/, '\n');
}
