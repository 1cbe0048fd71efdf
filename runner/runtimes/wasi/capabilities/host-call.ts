// The worker's side of calls to capabilities served on the main thread (executable providers, messaging to
// local functions). Guest imports are synchronous, so the worker posts the call on its own channel and sleeps
// on a shared flag (Atomics.wait) until the main thread has posted the answer and raised the flag; the answer is
// then read synchronously from the port. A call the main thread never answers ends at its timeout.
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { HostAnswer, HostCall } from '../messages.ts';

interface Channel {
  port: MessagePort;
  signal: Int32Array;
}

let channel: Channel | undefined;
let nextId = 1;

/** Opens the worker's channel; the returned port and flag go to the main thread once, in the `ready` message. */
export function openHostChannel(): { hostPort: MessagePort; signal: Int32Array } {
  const { port1, port2 } = new MessageChannel();
  const signal = new Int32Array(new SharedArrayBuffer(4));
  channel = { port: port1, signal };
  return { hostPort: port2, signal };
}

/** Makes one call and blocks until its answer (or `timeoutMs` plus a margin for the main thread's own timeout). */
export function callHost(call: Omit<HostCall, 'id'>): HostAnswer {
  if (!channel) throw new Error('this worker has no host channel');
  const id = nextId++;
  const { port, signal } = channel;
  Atomics.store(signal, 0, 0);
  port.postMessage({ ...call, id } satisfies HostCall);
  const deadline = performance.now() + call.timeoutMs + 1000;
  for (;;) {
    const left = deadline - performance.now();
    if (left <= 0) return { id, ok: false, error: `it did not answer within ${call.timeoutMs} ms` };
    Atomics.wait(signal, 0, 0, left);
    Atomics.store(signal, 0, 0);
    // Answers to calls that timed out earlier may be queued before this one: skip them.
    for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
      const answer = m.message as HostAnswer;
      if (answer.id === id) return answer;
    }
  }
}
