// A debugger attached to a Node inspector (a debug-ready environment's), speaking the Chrome DevTools Protocol over
// Node's own WebSocket as VS Code's js-debug does: `send` a method, await an `event`. Every wait is bounded, and the
// inspector going away fails what waits on it at once: a test that loses its debuggee fails saying so, it never hangs.
import { pendingAnswers } from './pending-answers.ts';
import { waitFor } from './runner.ts';

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
  const answers = pendingAnswers(WAIT_MS, undefined);
  const events: any[] = [];
  ws.onmessage = (message) => {
    const data = JSON.parse(String(message.data));
    if (data.id === undefined) return void events.push(data);
    answers.settle(data.id, data.result, data.error ? new Error(data.error.message) : undefined);
  };
  ws.onclose = () => answers.close(new Error(`The inspector on port ${port} closed (its process ended?).`));
  let id = 0;
  /**
   * Sends `method` and resolves to its result. `programMayEnd`: the command lets the program run to its end (a last
   * resume), and the process may take its inspector with it before the answer: the inspector closing then answers it.
   */
  const send = (method: string, params: Record<string, unknown> = {}, { programMayEnd = false } = {}) => {
    const sent = ++id;
    return answers.expect(sent, method, programMayEnd, () => ws.send(JSON.stringify({ id: sent, method, params })));
  };
  const event = (method: string) =>
    waitFor(
      method,
      () => {
        const at = events.findIndex((e) => e.method === method);
        if (at >= 0) return events.splice(at, 1)[0].params;
        if (answers.closed) throw new Error(`Waiting for ${method}: ${answers.closed.message}`);
        return undefined;
      },
      WAIT_MS,
    );
  return { send, event, close: () => ws.close() };
}
