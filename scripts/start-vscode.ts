// `npm start`: opens a real VS Code (code-server, in your browser) on examples/ with this extension loaded
// from source. Installs code-server on first run. `npm start -- --port 9000` or `PORT=9000 npm start`; without
// either, 8080, or a free port when 8080 is taken. `npm start -- --vscode`: your own VS Code instead (the `code`
// command, or VSCODE_BIN), no code-server.
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { EXAMPLES_DIR, CACHE_DIR, buildExtension, installCodeServer, openInVsCode, portToServeOn, startCodeServer, rel } from './vscode-host.ts';

const log = (line: string) => console.log(`[start] ${line}`);

/** The port asked for (--port, PORT), or 8080 when none was. */
function chosenPort(): { port: number; byUser: boolean; vscode: boolean } {
  const { values } = parseArgs({ options: { port: { type: 'string', short: 'p' }, vscode: { type: 'boolean' } }, allowPositionals: false });
  const asked = values.port ?? process.env.PORT;
  const text = asked ?? '8080';
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`"${text}" is not a port number; use e.g. --port 8080 or PORT=8080.`);
  }
  return { port, byUser: asked !== undefined, vscode: values.vscode === true };
}

async function main(): Promise<void> {
  const chosen = chosenPort();
  buildExtension(log);
  if (chosen.vscode) {
    openInVsCode(EXAMPLES_DIR, log);
    log('After changing the extension, run `npm run build` and "Developer: Reload Window" in VS Code.');
    return;
  }
  const entry = await installCodeServer(log);
  // Checked after the install (minutes on a first run), when the port is about to be used.
  const port = await portToServeOn(chosen.port, chosen.byUser, log);
  const stateDir = join(CACHE_DIR, 'start');
  const host = await startCodeServer({ entry, port, stateDir, logFile: join(stateDir, 'code-server.log'), log });

  let stopping = false;
  const stopAndExit = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping code-server ...');
    await host.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAndExit(0));
  process.on('SIGTERM', () => void stopAndExit(0));
  process.on('SIGHUP', () => void stopAndExit(0));

  const url = host.workbenchUrl({ folder: EXAMPLES_DIR });
  console.log('');
  console.log(`Open Runtime is running in VS Code (code-server) on ${rel(EXAMPLES_DIR)}/. Open this URL in your browser:`);
  console.log('');
  console.log(`  ${url}`);
  console.log('');
  console.log(`Server log: ${rel(host.logFile)}. After changing the extension, run \`npm run build\` and reload the page. Ctrl-C stops it.`);

  // Stay up until Ctrl-C; if code-server dies on its own, say so and stop.
  const healthz = `${host.origin}/healthz`;
  let failures = 0;
  setInterval(async () => {
    try {
      const response = await fetch(healthz, { signal: AbortSignal.timeout(5000) });
      failures = response.ok ? 0 : failures + 1;
    } catch {
      failures++;
    }
    if (failures >= 3) {
      console.error(`code-server stopped answering on ${host.origin}; see ${rel(host.logFile)}. Run npm start again.`);
      await stopAndExit(1);
    }
  }, 5000);
}

main().catch((error: unknown) => {
  console.error(`npm start failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
