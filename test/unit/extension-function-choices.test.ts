// The chooser of a shared handler's lens row: the function picked last for the handler first, then the others in
// template order, each shown by its full path with where it is defined and what triggers it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { handlerKey, orderChoices } from '../../extension/function-choices.ts';
import { FunctionSpec, type FunctionInput } from '../../runner/functions/model.ts';

const fn = (input: Partial<FunctionInput> & { name: string }) =>
  FunctionSpec.parse({ runtime: 'nodejs22.x', handler: 'app.handler', codeUri: '/ws/functions/hello-ts', ...input });

describe('choosing among the functions that share a handler', () => {
  const hello = fn({ name: 'HelloTs', source: { file: '/ws/template.yaml', line: 27 }, triggers: ['HttpApi'] });
  const guarded = fn({ name: 'HelloGuarded', source: { file: '/ws/template.yaml', line: 152 }, middlewares: ['cors'] });
  const other = fn({
    name: 'sam-hello-HelloWorldFunction',
    path: 'sam-hello/HelloWorldFunction',
    source: { file: '/ws/sam-hello/template.yaml', line: 10 },
    triggers: ['SQS', 'SQS'],
  });

  it('keeps the template order when nothing was chosen yet', () => {
    const choices = orderChoices([hello, guarded, other], '/ws', undefined);
    assert.deepEqual(
      choices.map((c) => c.label),
      ['HelloTs', 'HelloGuarded', 'sam-hello/HelloWorldFunction'],
    );
    assert.ok(choices.every((c) => !c.lastUsed));
  });

  it('offers the last choice first, marked', () => {
    const choices = orderChoices([hello, guarded, other], '/ws', 'HelloGuarded');
    assert.deepEqual(
      choices.map((c) => [c.label, c.lastUsed]),
      [
        ['HelloGuarded', true],
        ['HelloTs', false],
        ['sam-hello/HelloWorldFunction', false],
      ],
    );
    assert.equal(choices[0]!.description, 'last used · template.yaml');
  });

  it('names the project file, the triggers (once each) and the middlewares', () => {
    const [h, g, o] = orderChoices([hello, guarded, other], '/ws', 'gone');
    assert.equal(h!.detail, 'API Gateway HTTP API · nodejs22.x');
    assert.equal(g!.detail, 'no trigger declared · nodejs22.x · middlewares: cors');
    assert.equal(o!.description, 'sam-hello/template.yaml');
    assert.equal(o!.detail, 'SQS · nodejs22.x');
  });

  it('remembers per handler file and export', () => {
    assert.equal(handlerKey('/ws/functions/hello-ts/app.ts', 'handler'), handlerKey('/ws/functions/hello-ts/../hello-ts/app.ts', 'handler'));
    assert.notEqual(handlerKey('/ws/a/app.ts', 'handler'), handlerKey('/ws/a/app.ts', 'other'));
  });
});
