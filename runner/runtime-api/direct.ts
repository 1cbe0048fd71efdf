// The Runtime API on a Unix socket of the environment's own, for the project's Node and Python runtime clients:
// /next, buffered answers and init errors, served by the same connection code as the environment's TCP address
// (runtime-connection.ts), without the TCP stack. Everything else (streamed answers, the Extensions and Telemetry
// APIs) is on the TCP address (AWS_LAMBDA_RUNTIME_API), which serves every route to every client.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServedEnvironment } from './served-environment.ts';
import { serveRuntimeConnection } from './runtime-connection.ts';

let socketDir: string | undefined;

/** A path for an environment's socket, in a folder of this runner's that only its user can enter. */
export function directSocketPath(name: string): string {
  if (!socketDir) {
    const dir = mkdtempSync(join(tmpdir(), 'open-runtime-'));
    socketDir = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return join(socketDir, `${name}.sock`);
}

/** Listens on `path` for the environment's runtime. */
export async function listenDirect(env: ServedEnvironment, path: string): Promise<Server> {
  // Half-open: a runtime that exits ends its side, and still gets the replies it is owed.
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    if (env.admit(socket, 'unix')) serveRuntimeConnection(env, socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return server;
}
