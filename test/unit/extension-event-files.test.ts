// Which function an event file open in the editor is sent to: a draft by its file name, a saved event by its folder.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { draftPath, eventFileOf } from '../../extension/events/event-files.ts';

describe('event files in the editor', () => {
  it('reads a draft and a saved event', () => {
    assert.deepEqual(eventFileOf('/ws/.open-runtime/drafts/sam-hello-HelloWorldFunction.json'), {
      kind: 'draft',
      functionName: 'sam-hello-HelloWorldFunction',
      workspaceDir: '/ws',
    });
    assert.deepEqual(eventFileOf('/ws/.open-runtime/events/HelloTs/big-order.json'), {
      kind: 'saved',
      functionName: 'HelloTs',
      name: 'big-order',
      workspaceDir: '/ws',
    });
  });

  it('is nothing for other JSON, the last-used marker, or deeper folders', () => {
    assert.equal(eventFileOf('/ws/events/event.json'), undefined);
    assert.equal(eventFileOf('/ws/.open-runtime/events/HelloTs/.last-used.json'), undefined);
    assert.equal(eventFileOf('/ws/.open-runtime/events/HelloTs/sub/x.json'), undefined);
    assert.equal(eventFileOf('/ws/.open-runtime/parameters.json'), undefined);
    // A saved event's expected response (runner/events/expectations.ts) is not an event to send.
    assert.equal(eventFileOf('/ws/.open-runtime/events/HelloTs/big-order.expected.json'), undefined);
  });

  it('puts the draft where it reads it back', () => {
    const file = draftPath('/ws', 'HelloTs');
    assert.equal(file, '/ws/.open-runtime/drafts/HelloTs.json');
    assert.equal(eventFileOf(file)?.functionName, 'HelloTs');
  });
});
