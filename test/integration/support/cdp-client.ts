// A debugger attached to a Node inspector (a debug-ready environment's), speaking the Chrome DevTools Protocol over
// Node's own WebSocket as VS Code's js-debug does: `send` a method, await an `event`. Every wait is bounded, and the
// inspector going away fails what waits on it at once: a test that loses its debuggee fails saying so, it never hangs.
import { handled, waitFor } from './runner.ts';

/** How long one answer or event may take. */
const WAIT_MS = 30_000;

/** A debugger attached to a Node inspector (a debug-ready environment's), speaking CDP as js-debug does. */
export async function cdpClient(port: number) {
  const listed = await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(WAIT_MS) });
  const targets = (await listed.json()) as Array<{ webSocketDebuggerUrl: string }>;
  if (!targets[0]) throw new Error(`The inspector on port ${port} lists no target.`);
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The inspector on port ${port} did not open its WebSocket in ${WAIT_MS} ms.`)), WAIT_MS);
    ws.onopen = () => resolve(clearTimeout(timer));
    ws.onerror = () => reject(new Error(`The inspector on port ${port} refused its WebSocket.`));
  });
  const answers = new Map<number, { resolve: (result: any) => void; reject: (e: Error) => void; programMayEnd: boolean }>();
  const events: any[] = [];
  let closed: Error | undefined;
  ws.onmessage = (message) => {
    const data = JSON.parse(String(message.data));
    if (data.id === undefined) return void events.push(data);
    const answer = answers.get(data.id);
    answers.delete(data.id);
    answer?.resolve(data);
  };
  ws.onclose = () => {
    closed = new Error(`The inspector on port ${port} closed (its process ended?).`);
    for (const answer of answers.values()) answer.programMayEnd ? answer.resolve({ result: undefined }) : answer.reject(closed);
    answers.clear();
  };
  let id = 0;
  /**
   * Sends `method` and resolves to its result. `programMayEnd`: the command lets the program run to its end (a last
   * resume), and the process may take its inspector with it before the answer: the inspector closing then answers it.
   */
  const send = (method: string, params: Record<string, unknown> = {}, { programMayEnd = false } = {}) =>
    handled(
      new Promise<any>((resolve, reject) => {
        if (closed) return programMayEnd ? resolve(undefined) : reject(new Error(`${method}: ${closed.message}`));
        const sent = ++id;
        const timer = setTimeout(() => {
          answers.delete(sent);
          reject(new Error(`${method}: no answer in ${WAIT_MS} ms.`));
        }, WAIT_MS);
        answers.set(sent, {
          resolve: (data) => (clearTimeout(timer), data.error ? reject(new Error(`${method}: ${data.error.message}`)) : resolve(data.result)),
          reject: (e) => (clearTimeout(timer), reject(new Error(`${method}: ${e.message}`))),
          programMayEnd,
        });
        ws.send(JSON.stringify({ id: sent, method, params }));
      }),
    );
  const event = (method: string) =>
    waitFor(
      method,
      () => {
        const at = events.findIndex((e) => e.method === method);
        if (at >= 0) return events.splice(at, 1)[0].params;
        if (closed) throw new Error(`Waiting for ${method}: ${closed.message}`);
        return undefined;
      },
      WAIT_MS,
    );
  return { send, event, close: () => ws.close() };
}
