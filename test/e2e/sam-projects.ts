// Three `sam init`-shaped projects side by side in the E2E workspace, as serverless developers keep them: each
// names its function HelloWorldFunction, keeps its code in hello_world/app.mjs and its sample events in events/,
// and sets its own Timeout and environment. They differ by trigger (SQS, HttpApi GET /hello, REST Api POST
// /items), so the tests can check that each handler runs its own project's function and gets its own events.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SamProject {
  /** Folder under the workspace. */
  readonly folder: string;
  readonly trigger: 'SQS' | 'HttpApi' | 'Api';
  readonly timeout: number;
  readonly greeting: string;
}

export const SAM_PROJECTS: readonly SamProject[] = [
  { folder: 'sam-orders', trigger: 'SQS', timeout: 7, greeting: 'orders' },
  { folder: 'sam-hello', trigger: 'HttpApi', timeout: 5, greeting: 'hello' },
  { folder: 'sam-items', trigger: 'Api', timeout: 9, greeting: 'items' },
];

const EVENTS: Record<SamProject['trigger'], string> = {
  SQS: `        OrderQueue:
          Type: SQS
          Properties:
            Queue: !GetAtt OrderQueue.Arn
            BatchSize: 10`,
  HttpApi: `        HelloWorld:
          Type: HttpApi
          Properties:
            Path: /hello
            Method: get`,
  Api: `        Items:
          Type: Api
          Properties:
            Path: /items
            Method: post`,
};

/** The project's own sample event, as `sam init` writes events/event.json (shortened). */
const SAMPLE_EVENT: Record<SamProject['trigger'], unknown> = {
  SQS: {
    Records: [
      {
        messageId: '059f36b4-87a3-44ab-83d2-661975830a7d',
        body: '{"orderId":"o-1"}',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:orders',
        awsRegion: 'us-east-1',
        attributes: {},
        messageAttributes: {},
      },
    ],
  },
  HttpApi: {
    version: '2.0',
    routeKey: 'GET /hello',
    rawPath: '/hello',
    rawQueryString: '',
    headers: {},
    requestContext: { http: { method: 'GET', path: '/hello', sourceIp: '127.0.0.1' }, routeKey: 'GET /hello', stage: '$default' },
    isBase64Encoded: false,
  },
  Api: {
    resource: '/items',
    path: '/items',
    httpMethod: 'POST',
    headers: {},
    body: '{"item":"tea"}',
    requestContext: { resourcePath: '/items', httpMethod: 'POST', stage: 'Prod' },
    isBase64Encoded: false,
  },
};

function template(p: SamProject): string {
  return `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Description: ${p.folder}, as sam init makes it

Globals:
  Function:
    Timeout: ${p.timeout}

Resources:
  HelloWorldFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: hello_world/
      Handler: app.lambdaHandler
      Runtime: nodejs22.x
      Environment:
        Variables:
          GREETING: ${p.greeting}
      Events:
${EVENTS[p.trigger]}
${p.trigger === 'SQS' ? '  OrderQueue:\n    Type: AWS::SQS::Queue\n' : ''}`;
}

/** What each handler answers: which project it is, its environment and the time the template gives it. */
const HANDLER = `export const lambdaHandler = async (event, context) => {
  return {
    statusCode: 200,
    body: JSON.stringify({
      greeting: process.env.GREETING,
      functionName: context.functionName,
      remainingMs: context.getRemainingTimeInMillis(),
      records: Array.isArray(event.Records) ? event.Records.length : undefined,
    }),
  };
};
`;

export function addSamProjects(workspace: string): void {
  for (const p of SAM_PROJECTS) {
    const dir = join(workspace, p.folder);
    mkdirSync(join(dir, 'hello_world'), { recursive: true });
    mkdirSync(join(dir, 'events'), { recursive: true });
    writeFileSync(join(dir, 'template.yaml'), template(p));
    writeFileSync(join(dir, 'hello_world', 'app.mjs'), HANDLER);
    writeFileSync(join(dir, 'hello_world', 'package.json'), '{ "name": "hello_world", "version": "1.0.0", "type": "module" }\n');
    writeFileSync(join(dir, 'events', 'event.json'), `${JSON.stringify(SAMPLE_EVENT[p.trigger], null, 2)}\n`);
  }
}
