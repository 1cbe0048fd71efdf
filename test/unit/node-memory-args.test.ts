// The heap limits a Node function's process starts with: Lambda's bootstrap rule (a tenth of MemorySize for the two
// semi-spaces, the rest for the old generation), unless the function's NODE_OPTIONS sets its own.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nodeMemoryArgs } from '../../runner/runtimes/spawn.ts';

describe('nodeMemoryArgs', () => {
  const cases: Array<[number, string | undefined, string[]]> = [
    [128, undefined, ['--max-semi-space-size=6', '--max-old-space-size=116']],
    [1024, undefined, ['--max-semi-space-size=51', '--max-old-space-size=922']],
    [10240, '', ['--max-semi-space-size=512', '--max-old-space-size=9216']],
    [512, '--max-old-space-size=300', ['--max-semi-space-size=25']],
    [512, '--enable-source-maps --max-semi-space-size=2', ['--max-old-space-size=461']],
    [512, '--max-semi-space-size=2 --max-old-space-size=300', []],
  ];
  for (const [memorySize, nodeOptions, expected] of cases) {
    it(`${memorySize} MB with NODE_OPTIONS ${JSON.stringify(nodeOptions)}`, () => {
      assert.deepEqual(nodeMemoryArgs(memorySize, nodeOptions), expected);
    });
  }
});
