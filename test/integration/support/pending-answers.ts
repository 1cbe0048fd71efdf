// The requests of one debugger connection (CDP or DAP) that wait for their answers: each bounded, each failed at once
// when the connection closes, except one whose command lets the program run to its end (a last resume or continue,
// configurationDone with no breakpoint): the process may take its debugger with it before answering, and the close
// then answers it.
import { handled } from './runner.ts';

interface Waiting {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  programMayEnd: boolean;
}

/** Answers awaited on one connection; `ended`: what a request whose program ended resolves to. */
export function pendingAnswers(waitMs: number, ended: unknown) {
  const waiting = new Map<number, Waiting>();
  let closed: Error | undefined;
  return {
    /** Why the connection is gone, once it is. */
    get closed(): Error | undefined {
      return closed;
    },
    /** The answer to request `id` (`label` names it in errors); `send` sends the request once it is awaited. */
    expect(id: number, label: string, programMayEnd: boolean, send: () => void): Promise<any> {
      return handled(
        new Promise((resolve, reject) => {
          if (closed) return programMayEnd ? resolve(ended) : reject(new Error(`${label}: ${closed.message}`));
          const timer = setTimeout(() => {
            waiting.delete(id);
            reject(new Error(`${label}: no answer in ${waitMs} ms.`));
          }, waitMs);
          waiting.set(id, {
            resolve: (value) => (clearTimeout(timer), resolve(value)),
            reject: (error) => (clearTimeout(timer), reject(new Error(`${label}: ${error.message}`))),
            programMayEnd,
          });
          send();
        }),
      );
    },
    /** Request `id` answered: with `error` when it failed. */
    settle(id: number, value: unknown, error?: Error): void {
      const request = waiting.get(id);
      waiting.delete(id);
      if (error) request?.reject(error);
      else request?.resolve(value);
    },
    /** The connection closed (`why`): what still waits is failed, or answered where its program may have ended. */
    close(why: Error): void {
      closed = why;
      for (const request of waiting.values()) request.programMayEnd ? request.resolve(ended) : request.reject(why);
      waiting.clear();
    },
  };
}
