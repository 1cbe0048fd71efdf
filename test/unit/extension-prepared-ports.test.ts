// The ports of prepared debug environments (extension/prepared-ports.ts): a session's configuration waits for its
// port, gets undefined when the environment is discarded, even when the discard comes before the configuration asks
// (the user leaves the picker right after clicking Debug), and no id is left behind.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PreparedPorts } from '../../extension/prepared-ports.ts';

const settledWithin = <T>(promise: Promise<T>, ms = 200) =>
  Promise.race([promise.then((value) => ({ value })), new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), ms))]);

test('the configuration gets the port once the runtime waits; nothing is left once the start is over', async () => {
  const ports = new PreparedPorts();
  ports.expect('a');
  const taken = ports.take('a');
  assert.equal(await settledWithin(taken), 'pending');
  ports.ready('a', 9229);
  assert.deepEqual(await settledWithin(taken), { value: 9229 });
  ports.done('a');
  ports.discard('a', false); // the invocation ended afterwards
  assert.equal(ports.size, 0);
});

test('a discard before the configuration asks for its port still reaches it: undefined, not a wait without end', async () => {
  const ports = new PreparedPorts();
  ports.expect('b');
  ports.discard('b', true);
  assert.deepEqual(await settledWithin(ports.take('b')), { value: undefined });
  ports.done('b');
  assert.equal(ports.size, 0);
});

test('a configuration waiting when the discard comes gets undefined', async () => {
  const ports = new PreparedPorts();
  ports.expect('c');
  const taken = ports.take('c');
  ports.discard('c', true);
  assert.deepEqual(await settledWithin(taken), { value: undefined });
  ports.done('c');
  assert.equal(ports.size, 0);
});

test('with no session started (a discard before the runner answered), a debug-ready of its own leaves nothing behind', () => {
  const ports = new PreparedPorts();
  ports.ready('d', 5678);
  ports.discard('d', false);
  assert.equal(ports.size, 0);
});
