// Published layers by ARN, fetched as Lambda does with the user's credentials: the real AWS SDK in the runner asks
// GetLayerVersionByArn, downloads the zip, checks its SHA-256, and the content is at /opt. There is no internet
// here, so a Node HTTP server in this test is the TEST DOUBLE FOR AWS: it plays Lambda's control endpoint (reached
// through AWS_ENDPOINT_URL_LAMBDA, as the SDK reads it) and the presigned download URL.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CLI, FIXTURE_PATH, freePort, removeTemps, tempDir, writeTemplate } from './support/runner.ts';

const LINUX = process.platform === 'linux';
const GOOD = 'arn:aws:lambda:eu-west-1:123456789012:layer:tools:3';
const TAMPERED = 'arn:aws:lambda:eu-west-1:123456789012:layer:tampered:1';
const FORBIDDEN = 'arn:aws:lambda:eu-west-1:210987654321:layer:private:9';
const BIG = 'arn:aws:lambda:eu-west-1:123456789012:layer:big-data:1';

let dir: string;
let aws: Server;
let endpoint: string;
let zip: Buffer;
let bigZip: Buffer;
const requests: string[] = [];

before(async () => {
  dir = tempDir('layer-arns');
  const source = join(dir, 'layer-source');
  mkdirSync(join(source, 'data'), { recursive: true });
  mkdirSync(join(source, 'nodejs', 'node_modules', 'tools'), { recursive: true });
  writeFileSync(join(source, 'data', 'greeting.txt'), 'hello from a published layer');
  writeFileSync(join(source, 'nodejs', 'node_modules', 'tools', 'index.js'), "module.exports = () => 'tools from the layer';\n");
  // A zip made by Python's zipfile, as a layer publisher's tool would make it.
  execFileSync('python3', ['-c', 'import shutil, sys; shutil.make_archive(sys.argv[1], "zip", sys.argv[2])', join(dir, 'layer'), source]);
  zip = readFileSync(join(dir, 'layer.zip'));
  // A layer big enough to report progress: 8 MB that do not compress, plus the same greeting and module.
  execFileSync('python3', [
    '-c',
    'import os, shutil, sys, zipfile\nshutil.copy(sys.argv[2], sys.argv[1])\nwith zipfile.ZipFile(sys.argv[1], "a") as z: z.writestr("data/big.bin", os.urandom(8 << 20))',
    join(dir, 'big.zip'),
    join(dir, 'layer.zip'),
  ]);
  bigZip = readFileSync(join(dir, 'big.zip'));
  const sha = createHash('sha256').update(zip).digest('base64');

  aws = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    requests.push(`${req.method} ${url.pathname}${url.searchParams.get('Arn') ? ` ${url.searchParams.get('Arn')}` : ''}`);
    if (url.pathname === '/layer.zip' || url.pathname === '/big.zip') {
      const body = url.pathname === '/big.zip' ? bigZip : zip;
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': body.length }).end(body);
      return;
    }
    // GetLayerVersionByArn: GET /2018-10-31/layers?find=LayerVersion&Arn=...
    if (url.pathname !== '/2018-10-31/layers' || url.searchParams.get('find') !== 'LayerVersion') {
      res.writeHead(404, { 'x-amzn-errortype': 'ResourceNotFoundException', 'content-type': 'application/json' }).end('{"Message":"no such route"}');
      return;
    }
    const arn = url.searchParams.get('Arn');
    if (arn === FORBIDDEN) {
      res.writeHead(403, { 'x-amzn-errortype': 'AccessDeniedException', 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ Message: `User: arn:aws:iam::123456789012:user/dev is not authorized to perform: lambda:GetLayerVersion on resource: ${FORBIDDEN}` }),
      );
      return;
    }
    if (arn === BIG) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          LayerVersionArn: arn,
          Version: 1,
          Content: { Location: `${endpoint}/big.zip`, CodeSha256: createHash('sha256').update(bigZip).digest('base64'), CodeSize: bigZip.length },
        }),
      );
      return;
    }
    const codeSha = arn === TAMPERED ? createHash('sha256').update('other bytes').digest('base64') : sha;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ LayerVersionArn: arn, Version: 3, Content: { Location: `${endpoint}/layer.zip`, CodeSha256: codeSha, CodeSize: zip.length } }));
  });
  await new Promise<void>((resolve) => aws.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(aws.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((resolve) => aws?.close(resolve));
  removeTemps();
});

/** A function reading its layer at /opt and through NODE_PATH, with `layers` (ARNs) in its template. */
function project(name: string, layers: string[]): string {
  const own = join(dir, name);
  const code = join(own, 'code');
  mkdirSync(code, { recursive: true });
  writeFileSync(
    join(code, 'app.cjs'),
    "const fs = require('node:fs');\nexports.handler = async () => ({ greeting: fs.readFileSync('/opt/data/greeting.txt', 'utf8'), tools: require('tools')(), toolsPath: require.resolve('tools') });\n",
  );
  return writeTemplate(own, [{ name, codeUri: code, runtime: 'nodejs20.x', handler: 'app.handler', layers }]);
}

/** `open-runtime invoke` as a user runs it, with credentials and the AWS endpoint of this test. */
function invoke(name: string, template: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, 'invoke', name, '--template', template],
      {
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          ...process.env,
          PATH: FIXTURE_PATH,
          XDG_CACHE_HOME: join(dir, 'cache'),
          OPEN_RUNTIME_CACHE_DIR: '',
          AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
          AWS_SECRET_ACCESS_KEY: 'secret',
          AWS_ENDPOINT_URL_LAMBDA: endpoint,
          ...env,
        },
      },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('a published layer is fetched with the SDK, checked, unpacked into the user cache and shown at /opt', { skip: !LINUX }, async () => {
  const template = project('Published', [GOOD]);
  const result = await invoke('Published', template);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), {
    greeting: 'hello from a published layer',
    tools: 'tools from the layer',
    toolsPath: '/opt/nodejs/node_modules/tools/index.js',
  });
  assert.deepEqual(requests, [`GET /2018-10-31/layers ${GOOD}`, 'GET /layer.zip']);
  const cached = readdirSync(join(dir, 'cache', 'open-runtime', 'layers')).filter((f) => f !== 'by-arn');
  assert.equal(cached.length, 1, `one unpacked layer in the cache: ${cached.join(', ')}`);
  assert.equal(readFileSync(join(dir, 'cache', 'open-runtime', 'layers', cached[0]!, 'data', 'greeting.txt'), 'utf8'), 'hello from a published layer');
});

test('published and local layers stack in the order the template lists them: the later one wins at /opt', { skip: !LINUX }, async () => {
  const folder = join(dir, 'folder-layer');
  mkdirSync(join(folder, 'data'), { recursive: true });
  writeFileSync(join(folder, 'data', 'greeting.txt'), 'hello from a folder layer');
  const folderLast = await invoke('FolderLast', project('FolderLast', [GOOD, folder]));
  assert.equal(folderLast.code, 0, folderLast.stderr);
  assert.equal(JSON.parse(folderLast.stdout).greeting, 'hello from a folder layer');
  const publishedLast = await invoke('PublishedLast', project('PublishedLast', [folder, GOOD]));
  assert.equal(publishedLast.code, 0, publishedLast.stderr);
  assert.equal(JSON.parse(publishedLast.stdout).greeting, 'hello from a published layer');
});

test('the next cold start uses the cached layer without asking AWS, even offline', { skip: !LINUX }, async () => {
  const template = project('PublishedAgain', [GOOD]);
  requests.length = 0;
  const result = await invoke('PublishedAgain', template, { AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${await freePort()}` });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(JSON.parse(result.stdout).greeting, 'hello from a published layer');
  assert.deepEqual(requests, [], 'no request for a layer version already fetched');
});

test('a big layer says how far its download is, on stderr', { skip: !LINUX }, async () => {
  const template = project('BigLayer', [BIG]);
  const result = await invoke('BigLayer', template);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(JSON.parse(result.stdout).greeting, 'hello from a published layer');
  const size = `${(bigZip.length / 1024 / 1024).toFixed(1)} MB`;
  assert.match(result.stderr, new RegExp(`^open-runtime: Downloading layer ${BIG} \\(${size}\\)\\.\\.\\.$`, 'm'));
  assert.match(result.stderr, new RegExp(`^open-runtime: Downloading layer ${BIG}: \\d+\\.\\d MB of ${size}$`, 'm'));
  assert.match(result.stderr, new RegExp(`^open-runtime: Downloaded layer ${BIG} \\(${size}\\)\\.$`, 'm'));
});

test('a download whose SHA-256 differs from CodeSha256 is refused, nothing is kept, and the function does not start', async () => {
  const template = project('Tampered', [TAMPERED]);
  const result = await invoke('Tampered', template);
  assert.equal(result.code, 1, result.stderr);
  const error = JSON.parse(result.stdout);
  assert.equal(error.errorType, 'Runtime.InitError');
  assert.match(
    error.errorMessage,
    new RegExp(`Function Tampered cannot start: Layer ${TAMPERED} was downloaded, but its content does not match the CodeSha256`),
  );
  assert.match(error.errorMessage, /copy the layer locally .* ContentUri/);
  const records = readdirSync(join(dir, 'cache', 'open-runtime', 'layers', 'by-arn')).map((f) =>
    readFileSync(join(dir, 'cache', 'open-runtime', 'layers', 'by-arn', f), 'utf8'),
  );
  assert.ok(!records.some((r) => r.includes(TAMPERED)), 'the tampered layer is not recorded');
});

test('403 AccessDeniedException, or no credentials: the error names the ARN, the cause and what to do (aws sso login, or a local copy)', async () => {
  const template = project('Forbidden', [FORBIDDEN]);
  const credentials = join(dir, 'credentials');
  writeFileSync(credentials, '[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = secret\n');
  const profile = { AWS_PROFILE: 'dev', AWS_CONFIG_FILE: join(dir, 'no-config'), AWS_SHARED_CREDENTIALS_FILE: credentials };
  const denied = await invoke('Forbidden', template, profile);
  assert.equal(denied.code, 1, denied.stderr);
  const error = JSON.parse(denied.stdout);
  assert.equal(error.errorType, 'Runtime.InitError');
  assert.match(error.errorMessage, new RegExp(`Layer ${FORBIDDEN} could not be fetched: AccessDeniedException: User: .* is not authorized`));
  assert.match(error.errorMessage, /The profile "dev" may not read this layer.*aws sso login --profile dev/);
  assert.match(error.errorMessage, /ContentUri/);

  const noCredentials = await invoke('Forbidden', template, { ...profile, AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials') });
  assert.match(
    JSON.parse(noCredentials.stdout).errorMessage,
    new RegExp(`Layer ${FORBIDDEN} could not be fetched: no AWS credentials were found .*aws sso login --profile dev`),
  );
});

test('Lambda unreachable (offline): the error says so and what to do; the runner answered and exited normally', async () => {
  const template = project('Offline', ['arn:aws:lambda:eu-west-1:123456789012:layer:never-fetched:1']);
  const result = await invoke('Offline', template, { AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${await freePort()}` });
  assert.equal(result.code, 1, result.stderr);
  const error = JSON.parse(result.stdout);
  assert.equal(error.errorType, 'Runtime.InitError');
  assert.match(
    error.errorMessage,
    /Layer arn:aws:lambda:eu-west-1:123456789012:layer:never-fetched:1 could not be fetched: Lambda in eu-west-1 could not be reached \(.*ECONNREFUSED.*\)\. Are you offline\?/,
  );
  assert.ok(!existsSync(join(dir, 'cache', 'open-runtime', 'layers', 'by-arn', 'never')), 'nothing recorded');
});
