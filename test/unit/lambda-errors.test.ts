// The one list of Lambda error types (runner/lambda-errors.ts) holds every type the runtimes report, including the
// Python runtime's, which lives in bootstrap.py and cannot import the list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { LAMBDA_ERROR_TYPES } from '../../runner/lambda-errors.ts';

test('every error type the Python runtime reports is in the list', () => {
  // Ask Python itself for the FaultException constants, rather than reading the file's text.
  const bootstrap = join(import.meta.dirname, '..', '..', 'runner', 'runtimes', 'python');
  const script =
    `import sys, json; sys.path.insert(0, ${JSON.stringify(bootstrap)}); import bootstrap as b; ` +
    'print(json.dumps([v for k, v in vars(b.FaultException).items() if k.isupper() and isinstance(v, str)]))';
  const run = spawnSync('python3', ['-c', script], { encoding: 'utf8', env: { ...process.env, AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9' } });
  assert.equal(run.status, 0, run.stderr);
  const types = JSON.parse(run.stdout) as string[];
  assert.ok(types.length >= 5, `FaultException has its types (got ${types.join(', ')})`);
  for (const type of types) assert.ok(LAMBDA_ERROR_TYPES.includes(type), `${type} is in runner/lambda-errors.ts`);
});

test('no type is listed twice', () => {
  assert.equal(new Set(LAMBDA_ERROR_TYPES).size, LAMBDA_ERROR_TYPES.length);
});
