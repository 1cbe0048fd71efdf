// `npm start` serves code-server on 8080 unless told otherwise: a taken 8080 (another code-server, a dev server) must
// not stop it (issue 14: a fixed default port), while a port the user chose and can't have is an error naming it.
import { createServer, type Server } from 'node:net';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { portIsFree, portToServeOn } from '../../scripts/vscode-host.ts';

async function occupy(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

test('the default port, when taken, falls back to a free one and says so', async () => {
  const { server, port } = await occupy();
  try {
    const lines: string[] = [];
    const chosen = await portToServeOn(port, false, (line) => lines.push(line));
    assert.notEqual(chosen, port);
    assert.equal(await portIsFree(chosen), true);
    assert.deepEqual(lines, [`port ${port} is in use; using port ${chosen} instead (choose one with --port N).`]);
  } finally {
    server.close();
  }
});

test('a port the user chose that is taken is an error naming it; a free one is used as it is', async () => {
  const { server, port } = await occupy();
  try {
    await assert.rejects(
      portToServeOn(port, true, () => undefined),
      new RegExp(`Port ${port} is in use on 127\\.0\\.0\\.1\\. Choose another with --port N`),
    );
  } finally {
    server.close();
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(await portToServeOn(port, true, () => undefined), port);
});
