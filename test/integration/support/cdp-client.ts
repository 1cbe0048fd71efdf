// A debugger attached to a Node inspector (a debug-ready environment's), speaking the Chrome DevTools Protocol over
// Node's own WebSocket as VS Code's js-debug does: `send` a method, await an `event`.
import { waitFor } from './runner.ts';

/** A debugger attached to a Node inspector (a debug-ready environment's), speaking CDP as js-debug does. */
export async function cdpClient(port: number) {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
  const ws = new WebSocket(targets[0]!.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  const answers = new Map<number, (message: any) => void>();
  const events: any[] = [];
  ws.onmessage = (message) => {
    const data = JSON.parse(String(message.data));
    if (data.id !== undefined) answers.get(data.id)?.(data);
    else events.push(data);
  };
  let id = 0;
  const send = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<any>((resolve, reject) => {
      answers.set(++id, (data) => (data.error ? reject(new Error(`${method}: ${data.error.message}`)) : resolve(data.result)));
      ws.send(JSON.stringify({ id, method, params }));
    });
  const event = (method: string) =>
    waitFor(
      method,
      () => {
        const at = events.findIndex((e) => e.method === method);
        return at < 0 ? undefined : events.splice(at, 1)[0].params;
      },
      30_000,
    );
  return { send, event, close: () => ws.close() };
}
