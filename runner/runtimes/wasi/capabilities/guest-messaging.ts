// wasmcloud:messaging@0.2.0 `consumer` for one instance. Built in: each subject the function was granted invokes a
// local function (publish: asynchronously, the guest does not wait; request: the function's result is the reply).
// Otherwise an executable provider carries the messages wherever it likes (NATS, SQS, a file).
import type { GuestCapabilities } from '../messages.ts';
import { callHost } from './host-call.ts';
import { askProvider } from './exec-backends.ts';
import { CapabilityError } from './keyvalue-error.ts';

export const MESSAGING_VERSION = '0.2.0';

interface BrokerMessage {
  subject: string;
  body: Uint8Array;
  replyTo?: string;
}

export function guestMessaging(
  messaging: NonNullable<GuestCapabilities['messaging']>,
  timeoutMs: () => number,
  notice: (line: string) => void,
): Record<string, unknown> {
  const fail = (message: string): never => {
    notice(`Open Runtime: ${message}`);
    throw new CapabilityError(message, message);
  };
  const send = (op: 'publish' | 'request', subject: string, body: Uint8Array, replyTo: string | undefined, waitMs: number): Record<string, unknown> => {
    if (messaging.kind === 'exec') {
      const args = { subject, body: Buffer.from(body).toString('base64'), ...(replyTo ? { replyTo } : {}), ...(op === 'request' ? { timeoutMs: waitMs } : {}) };
      try {
        return askProvider(messaging, 'messaging', op, args, waitMs);
      } catch (error) {
        return fail((error as Error).message);
      }
    }
    const target = Object.hasOwn(messaging.subjects, subject) ? messaging.subjects[subject] : undefined;
    if (!target) {
      const granted = Object.keys(messaging.subjects);
      return fail(
        `the component sent a message to subject "${subject}", which no function listens to (${granted.length ? `granted subjects: ${granted.join(', ')}` : 'the function was granted none'}). Map it under Metadata.OpenRuntime.component.messaging.subjects.`,
      );
    }
    const answer = callHost({ capability: 'messaging', op, target, args: { subject, body, ...(replyTo ? { replyTo } : {}) }, timeoutMs: waitMs });
    return answer.ok ? answer.result : fail(`the message to "${subject}" (function ${target}) failed: ${answer.error}`);
  };
  return {
    'wasmcloud:messaging/consumer': {
      publish(message: BrokerMessage): void {
        send('publish', message.subject, message.body, message.replyTo, timeoutMs());
      },
      request(subject: string, body: Uint8Array, waitMs: number): BrokerMessage {
        const result = send('request', subject, body, undefined, Math.min(waitMs, timeoutMs()));
        const reply = typeof result.body === 'string' ? new Uint8Array(Buffer.from(result.body, 'base64')) : undefined;
        if (!reply) return fail(`the reply to the request on "${subject}" has no base64 "body"`);
        return { subject: typeof result.subject === 'string' ? result.subject : subject, body: reply };
      },
    },
  };
}
