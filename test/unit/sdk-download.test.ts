// Which AWS SDK packages a function imports, read from its own files (sdk-download.ts installs those that nothing
// provides): import and require, subpaths, TypeScript; never what its node_modules import.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sdkPackagesImported } from '../../runner/runtimes/node/sdk-download.ts';

test("the @aws-sdk packages a function's own files import or require, by package name, and none of its node_modules'", () => {
  const dir = mkdtempSync(join(tmpdir(), 'or-sdk-scan-'));
  try {
    mkdirSync(join(dir, 'lib'));
    mkdirSync(join(dir, 'node_modules', 'dep'), { recursive: true });
    writeFileSync(join(dir, 'app.mjs'), "import { S3Client } from '@aws-sdk/client-s3';\nimport x from './lib/db.ts';\n");
    writeFileSync(
      join(dir, 'lib', 'db.ts'),
      'const { DynamoDBDocument } = require("@aws-sdk/lib-dynamodb");\nimport type { X } from "@aws-sdk/client-s3/dist-types/index";\n',
    );
    writeFileSync(join(dir, 'node_modules', 'dep', 'index.js'), "require('@aws-sdk/client-sqs');\n");
    writeFileSync(join(dir, 'README.md'), "'@aws-sdk/client-sns'\n");
    assert.deepEqual(sdkPackagesImported(dir), ['@aws-sdk/client-s3', '@aws-sdk/lib-dynamodb']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
