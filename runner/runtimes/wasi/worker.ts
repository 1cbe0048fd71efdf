// Entry point of the runner's worker threads for components (bundled as dist/wasi-worker.js). A `prepare`
// worker transpiles one component and exits, so the runner's main thread never blocks on it; a `run` worker
// holds compiled components and runs invocations one at a time until the runner terminates it (which is how a
// runaway guest is stopped).
import { parentPort, workerData } from 'node:worker_threads';
import type { PrepareRequest, WorkerRole } from './messages.ts';

const role = (workerData as { role: WorkerRole }).role;
if (role === 'prepare') {
  const { transpileComponent } = await import('./transpile-component.ts');
  parentPort!.once('message', (request: PrepareRequest) => {
    void transpileComponent(request).then((result) => parentPort!.postMessage(result));
  });
  parentPort!.postMessage({ type: 'ready' });
} else {
  const { serveInvocations } = await import('./run-guest.ts');
  serveInvocations(parentPort!);
}
