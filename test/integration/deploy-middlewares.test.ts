// Deploy ships the chain (issue 15): `open-runtime deploy` of a function with middlewares publishes the Open Runtime
// layer (the Go Runtime API proxy + the function's middlewares) to a real runner's local control plane, attaches it,
// sets AWS_LAMBDA_EXEC_WRAPPER (or wraps a custom runtime's bootstrap) and OPEN_RUNTIME_MIDDLEWARES; then the deployed
// copy, invoked through the Invoke API, runs its chain in the proxy from /opt, the production path, and answers
// exactly as the template's function does with the runner's own chain. Re-deploys reuse an unchanged layer version.
// The AWS target (SDK, endpoint override) sends the same layer and settings. What the proxy can't run is refused.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GetFunctionConfigurationCommand, GetLayerVersionByArnCommand, ListLayerVersionsCommand } from '@aws-sdk/client-lambda';
import { readZip } from '../../runner/build/zip.ts';
import { deployFunction } from '../../runner/deploy/deploy-function.ts';
import type { FunctionSpec } from '../../runner/functions/model.ts';
import { FIXTURES, ROOT, removeTemps, tempDir, type Reply, type Runner } from './support/runner.ts';
import { controlPlaneClient, startDeployTarget, useTestCredentials } from './support/deploy.ts';

const EXAMPLES = join(ROOT, 'examples');
const MW_FIXTURE = join(FIXTURES, 'middleware');
let runner: Runner;
let workspace: string;
let functions: FunctionSpec[];
const fn = (name: string) => functions.find((f) => f.name === name)!;
const sdk = () => controlPlaneClient(runner);
const TOKEN = { headers: { authorization: 'Bearer demo' }, routeKey: 'GET /hello', rawPath: '/hello', queryStringParameters: { name: 'Ada' } };
const NO_TOKEN = { headers: {}, routeKey: 'GET /hello', rawPath: '/hello' };

before(async () => {
  workspace = tempDir('deploy-mw');
  useTestCredentials(workspace);
  // The examples' two Guarded functions as they are (their middlewares/ folder beside the template), a custom
  // runtime with a chain, a middleware that comes from a local layer, and what the proxy can't run.
  symlinkSync(join(EXAMPLES, 'middlewares'), join(workspace, 'middlewares'));
  const layer = join(workspace, 'shout-layer');
  mkdirSync(join(layer, 'middlewares'), { recursive: true });
  writeFileSync(
    join(layer, 'middlewares', 'shout.sh'),
    '#!/usr/bin/env bash\n# Upper-cases the response (after hook); passes the rest on.\nif [ "$1" = after ]; then tr a-z A-Z; else cat; fi\n',
  );
  const template = join(workspace, 'template.yaml');
  writeFileSync(
    template,
    [
      'Transform: AWS::Serverless-2016-10-31',
      'Resources:',
      '  ShoutLayer:',
      '    Type: AWS::Serverless::LayerVersion',
      '    Properties:',
      '      ContentUri: shout-layer/',
      '  HelloGuarded:',
      '    Type: AWS::Serverless::Function',
      '    Metadata:',
      '      OpenRuntime:',
      '        middlewares: [request-log, auth, cors]',
      '    Properties:',
      `      CodeUri: ${JSON.stringify(join(EXAMPLES, 'functions', 'hello-ts'))}`,
      '      Handler: app.handler',
      '      Runtime: nodejs22.x',
      '      Timeout: 30',
      '      Environment:',
      '        Variables:',
      '          CORS_ORIGIN: https://example.com',
      '  PythonGuarded:',
      '    Type: AWS::Serverless::Function',
      '    Properties:',
      `      CodeUri: ${JSON.stringify(join(EXAMPLES, 'functions', 'python-hello'))}`,
      '      Handler: app.handler',
      '      Runtime: python3.12',
      '      Timeout: 30',
      '      Environment:',
      '        Variables:',
      '          SLSMIDDLEWARES: auth,cors',
      '  ProvidedGuarded:',
      '    Type: AWS::Serverless::Function',
      '    Metadata:',
      '      OpenRuntime:',
      '        middlewares: [auth, shout]',
      '    Properties:',
      `      CodeUri: ${JSON.stringify(join(MW_FIXTURE, 'functions', 'provided-echo'))}`,
      '      Handler: bootstrap',
      '      Runtime: provided.al2023',
      '      Timeout: 30',
      '      Layers: [!Ref ShoutLayer]',
      '  CloudEventsFn:',
      '    Type: AWS::Serverless::Function',
      '    Metadata:',
      '      OpenRuntime:',
      '        middlewares: [request-log, cloudevents]',
      '    Properties:',
      `      CodeUri: ${JSON.stringify(join(EXAMPLES, 'functions', 'cloudevents-js'))}`,
      '      Handler: index.handler',
      '      Runtime: nodejs22.x',
      '',
    ].join('\n'),
  );
  ({ runner, functions } = await startDeployTarget(template));
});

after(async () => {
  await runner?.stop();
  removeTemps();
});

/** What an answer is, whoever gave it: the status and error header, and the payload without per-request values. */
function answer(reply: Reply): unknown {
  const payload = reply.json();
  const normalize = (value: unknown): unknown =>
    JSON.parse(JSON.stringify(value).replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<request id>'));
  if (payload && typeof payload === 'object' && 'remainingTimeInMillis' in payload) delete (payload as Record<string, unknown>).remainingTimeInMillis;
  if (payload && typeof payload === 'object' && 'functionName' in payload) delete (payload as Record<string, unknown>).functionName;
  return { status: reply.status, functionError: reply.headers['x-amz-function-error'] ?? null, payload: normalize(payload) };
}

describe("deployed to the local control plane, the chain runs in the layer's proxy", () => {
  for (const name of ['HelloGuarded', 'PythonGuarded']) {
    test(`${name}: 401 without a token, the same answer and headers with one, as the template's function`, async () => {
      const deployed = `${name}Deployed`;
      const result = await deployFunction(fn(name), { target: 'local', endpointUrl: runner.endpoint, functionName: deployed, workspace });
      assert.ok(result.middlewareLayer, 'a middleware layer was attached');
      assert.equal(result.middlewareLayer.reused, false);
      assert.match(result.middlewareLayer.arn, new RegExp(`:layer:open-runtime-${deployed}:1$`));

      const localDenied = await runner.invoke(name, NO_TOKEN);
      const deployedDenied = await runner.invoke(deployed, NO_TOKEN);
      assert.equal(deployedDenied.json().statusCode, 401, `the deployed copy refuses without a token: ${deployedDenied.text}`);
      assert.deepEqual(answer(deployedDenied), answer(localDenied));

      const localOk = await runner.invoke(name, TOKEN);
      const deployedOk = await runner.invoke(deployed, TOKEN);
      assert.deepEqual(answer(deployedOk), answer(localOk));
      if (name === 'HelloGuarded') {
        assert.equal(deployedOk.json().statusCode, 200);
        assert.equal(deployedOk.json().headers['access-control-allow-origin'], 'https://example.com', 'cors ran in the proxy');
        assert.match(deployedOk.json().body, /Hello, Ada!/);
      } else {
        assert.equal(deployedOk.json().message, 'Hello, world!');
      }

      // What makes it run through the proxy: the layer and the wrapper, in the function's configuration.
      const client = sdk();
      try {
        const config = await client.send(new GetFunctionConfigurationCommand({ FunctionName: deployed }));
        assert.deepEqual(
          config.Layers?.map((l) => l.Arn),
          [result.middlewareLayer.arn],
        );
        assert.equal(config.Environment?.Variables?.AWS_LAMBDA_EXEC_WRAPPER, '/opt/open-runtime-wrapper');
        assert.equal(config.Environment?.Variables?.OPEN_RUNTIME_MIDDLEWARES, name === 'HelloGuarded' ? 'request-log,auth,cors' : 'auth,cors');
      } finally {
        client.destroy();
      }
    });
  }

  test('a re-deploy with the same chain reuses the layer version; a changed middleware publishes a new one', async () => {
    const first = await deployFunction(fn('HelloGuarded'), { target: 'local', endpointUrl: runner.endpoint, functionName: 'HelloAgain', workspace });
    const second = await deployFunction(fn('HelloGuarded'), { target: 'local', endpointUrl: runner.endpoint, functionName: 'HelloAgain', workspace });
    assert.equal(second.middlewareLayer?.arn, first.middlewareLayer?.arn);
    assert.equal(second.middlewareLayer?.reused, true);
    // The same function with another chain: another layer content, another version of the same layer.
    const shorter = { ...fn('HelloGuarded'), middlewares: ['auth'] };
    const third = await deployFunction(shorter, { target: 'local', endpointUrl: runner.endpoint, functionName: 'HelloAgain', workspace });
    assert.equal(third.middlewareLayer?.reused, false);
    assert.equal(third.middlewareLayer?.version, 2);
    const reply = await runner.invoke('HelloAgain', TOKEN);
    assert.equal(reply.json().headers['access-control-allow-origin'], undefined, 'cors is no longer in the chain');
    const client = sdk();
    try {
      const versions = await client.send(new ListLayerVersionsCommand({ LayerName: 'open-runtime-HelloAgain' }));
      assert.deepEqual(
        versions.LayerVersions?.map((v) => v.Version),
        [2, 1],
      );
      // Left behind knowingly: the chain's layer comes off the function and the handler answers alone.
      await deployFunction(fn('HelloGuarded'), {
        target: 'local',
        endpointUrl: runner.endpoint,
        functionName: 'HelloAgain',
        workspace,
        withoutMiddlewares: true,
      });
      const config = await client.send(new GetFunctionConfigurationCommand({ FunctionName: 'HelloAgain' }));
      assert.equal(config.Layers, undefined);
      assert.equal(config.Environment?.Variables?.AWS_LAMBDA_EXEC_WRAPPER, undefined);
      assert.equal((await runner.invoke('HelloAgain', NO_TOKEN)).json().statusCode, 200);
    } finally {
      client.destroy();
    }
  });

  test("a custom runtime: its bootstrap starts the layer's wrapper; a middleware from one of its layers ships too", async () => {
    const result = await deployFunction(fn('ProvidedGuarded'), { target: 'local', endpointUrl: runner.endpoint, functionName: 'ProvidedDeployed', workspace });
    assert.deepEqual(result.middlewareLayer?.middlewares, ['auth', 'shout']);
    const denied = await runner.invoke('ProvidedDeployed', { headers: {}, trace: 'x' });
    assert.equal(denied.json().statusCode, 401, denied.text);
    const ok = await runner.invoke('ProvidedDeployed', { headers: { authorization: 'Bearer demo' }, trace: 'x' });
    assert.deepEqual(ok.json(), { TRACE: 'X,HANDLER' }, "the handler ran behind auth, and shout (from the template's layer) upper-cased its answer");
    assert.deepEqual(answer(ok), answer(await runner.invoke('ProvidedGuarded', { headers: { authorization: 'Bearer demo' }, trace: 'x' })));
    const client = sdk();
    try {
      const config = await client.send(new GetFunctionConfigurationCommand({ FunctionName: 'ProvidedDeployed' }));
      assert.equal(config.Environment?.Variables?.AWS_LAMBDA_EXEC_WRAPPER, undefined, 'custom runtimes have no exec wrapper on Lambda');
    } finally {
      client.destroy();
    }
  });
});

interface Recorded {
  method: string;
  path: string;
  userAgent: string;
  body: string;
}

/** An HTTP server in front of the control plane that records every request the SDK sends, then forwards it as it is. */
async function recordingEndpoint(target: string): Promise<{ url: string; requests: Recorded[]; close(): Promise<void> }> {
  const requests: Recorded[] = [];
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({
        method: req.method!,
        path: req.url!,
        userAgent: String(req.headers['x-amz-user-agent'] ?? req.headers['user-agent'] ?? ''),
        body: body.toString('utf8'),
      });
      const out = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
        (answer) => {
          res.writeHead(answer.statusCode!, answer.headers);
          answer.pipe(res);
        },
      );
      out.on('error', (err) => {
        res.writeHead(502);
        res.end(String(err));
      });
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

test('the AWS target through the SDK endpoint override sends the layer (proxy, wrapper, middlewares) and the wrapper settings', async () => {
  const recorder = await recordingEndpoint(runner.endpoint);
  const result = await deployFunction(fn('HelloGuarded'), {
    target: 'aws',
    endpointUrl: recorder.url,
    functionName: 'HelloOnAws',
    architecture: 'arm64',
    role: 'arn:aws:iam::123456789012:role/hello',
    workspace,
  });
  await recorder.close();
  // What the real @aws-sdk client sent: PublishLayerVersion with the zip, then the function with the layer and the
  // wrapper settings (CreateFunction, or UpdateFunctionConfiguration when it exists).
  const sent = recorder.requests;
  assert.ok(
    sent.every((r) => /aws-sdk-js/.test(r.userAgent)),
    sent.map((r) => r.userAgent).join('\n'),
  );
  const published = sent.filter((r) => r.method === 'POST' && r.path === '/2018-10-31/layers/open-runtime-HelloOnAws/versions');
  assert.equal(published.length, 1, sent.map((r) => `${r.method} ${r.path}`).join('\n'));
  const publishBody = JSON.parse(published[0]!.body);
  assert.deepEqual(publishBody.CompatibleArchitectures, ['arm64']);
  assert.deepEqual(publishBody.CompatibleRuntimes, ['nodejs22.x']);
  assert.deepEqual(
    readZip(Buffer.from(publishBody.Content.ZipFile, 'base64'))
      .map((e) => e.name)
      .sort(),
    ['middlewares/auth.json', 'middlewares/auth.sh', 'middlewares/cors.json', 'middlewares/cors.mjs', 'middlewares/request-log.py', 'open-runtime-wrapper'],
  );
  const configured = sent
    .filter((r) => r.method === 'POST' && r.path === '/2015-03-31/functions')
    .concat(sent.filter((r) => r.method === 'PUT' && r.path === '/2015-03-31/functions/HelloOnAws/configuration'))
    .map((r) => JSON.parse(r.body));
  assert.ok(configured.length >= 1, sent.map((r) => `${r.method} ${r.path}`).join('\n'));
  const settings = configured.at(-1);
  assert.deepEqual(settings.Layers, [result.middlewareLayer!.arn]);
  assert.equal(settings.Environment.Variables.AWS_LAMBDA_EXEC_WRAPPER, '/opt/open-runtime-wrapper');
  assert.equal(settings.Environment.Variables.OPEN_RUNTIME_MIDDLEWARES, 'request-log,auth,cors');
  const client = sdk();
  try {
    const config = await client.send(new GetFunctionConfigurationCommand({ FunctionName: 'HelloOnAws' }));
    assert.deepEqual(
      config.Layers?.map((l) => l.Arn),
      [result.middlewareLayer!.arn],
    );
    assert.deepEqual(config.Architectures, ['arm64']);
    assert.equal(config.Environment?.Variables?.AWS_LAMBDA_EXEC_WRAPPER, '/opt/open-runtime-wrapper');
    assert.equal(config.Environment?.Variables?.OPEN_RUNTIME_MIDDLEWARES, 'request-log,auth,cors');
    assert.equal(config.Environment?.Variables?.CORS_ORIGIN, 'https://example.com');
    const layer = await client.send(new GetLayerVersionByArnCommand({ Arn: result.middlewareLayer!.arn }));
    assert.deepEqual(layer.CompatibleArchitectures, ['arm64']);
    assert.deepEqual(layer.CompatibleRuntimes, ['nodejs22.x']);
    const zip = Buffer.from(await (await fetch(layer.Content!.Location!)).arrayBuffer());
    const entries = new Map(readZip(zip).map((e) => [e.name, e]));
    assert.deepEqual([...entries.keys()].sort(), [
      'middlewares/auth.json',
      'middlewares/auth.sh',
      'middlewares/cors.json',
      'middlewares/cors.mjs',
      'middlewares/request-log.py',
      'open-runtime-wrapper',
    ]);
    assert.equal((entries.get('open-runtime-wrapper')!.mode! & 0o111) !== 0, true, 'the wrapper (the proxy itself) is executable');
    // An arm64 ELF: the proxy was built for the function's architecture.
    const proxy = Buffer.from(entries.get('open-runtime-wrapper')!.read());
    assert.equal(proxy.readUInt16LE(18), 183, 'EM_AARCH64');
    assert.deepEqual(
      readZip(zip)
        .find((e) => e.name === 'middlewares/auth.sh')!
        .read(),
      new Uint8Array(readFileSync(join(EXAMPLES, 'middlewares', 'auth.sh'))),
    );
  } finally {
    client.destroy();
  }
});

test('cloudevents ships in the proxy; a component middleware is refused by name before anything changes; --without-middlewares deploys the handler alone', async () => {
  const cli = (...args: string[]) =>
    spawnSync(
      process.execPath,
      [
        join(ROOT, 'dist', 'runner.js'),
        'deploy',
        ...args,
        '--target',
        'local',
        '--endpoint-url',
        runner.endpoint,
        '--template',
        join(workspace, 'template.yaml'),
        '--workspace',
        workspace,
        '--json-lines',
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
  // The built-in cloudevents runs in the proxy: the deployed copy answers an SQS batch as the template's function does.
  const shipped = cli('CloudEventsFn', '--function-name', 'CloudEventsDeployed');
  assert.equal(shipped.status, 0, shipped.stderr);
  const arn = 'arn:aws:sqs:us-east-1:123456789012:orders';
  const batch = {
    Records: [
      {
        messageId: 'm-1',
        eventSource: 'aws:sqs',
        eventSourceARN: arn,
        awsRegion: 'us-east-1',
        body: '{"order":1}',
        attributes: { SentTimestamp: '1767225600000' },
      },
      {
        messageId: 'm-2',
        eventSource: 'aws:sqs',
        eventSourceARN: arn,
        awsRegion: 'us-east-1',
        body: '{"reject":true}',
        attributes: { SentTimestamp: '1767225601000' },
      },
    ],
  };
  const deployedBatch = await runner.invoke('CloudEventsDeployed', batch);
  assert.deepEqual(deployedBatch.json(), { batchItemFailures: [{ itemIdentifier: 'm-2' }] }, deployedBatch.text);
  assert.deepEqual(answer(deployedBatch), answer(await runner.invoke('CloudEventsFn', batch)));
  const component = { ...fn('HelloGuarded'), middlewares: ['http-guard'] };
  writeFileSync(join(workspace, 'shout-layer', 'middlewares', 'http-guard.wasm'), 'not really a component');
  await assert.rejects(
    deployFunction(
      { ...component, layers: [join(workspace, 'shout-layer')] },
      { target: 'local', endpointUrl: runner.endpoint, functionName: 'ComponentRefused', workspace },
    ),
    /Nothing was deployed: HelloGuarded's middleware http-guard is a WebAssembly component, which can't run on Lambda: .*components need the runner's WebAssembly host.*--without-middlewares/,
  );
  const alone = cli('PythonGuarded', '--without-middlewares', '--function-name', 'PythonAlone');
  assert.equal(alone.status, 0, alone.stderr);
  const reply = await runner.invoke('PythonAlone', { headers: {} });
  assert.equal(reply.status, 200, reply.text);
  assert.equal(reply.json().message, 'Hello, world!', 'the handler alone: no auth, and SLSMIDDLEWARES left out');
});
