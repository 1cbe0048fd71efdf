// The process a Rust, C or C++ function runs as while it is debugged (runtimes/lldb-debug.ts): it listens on
// 127.0.0.1:<port> for one Debug Adapter Protocol client and puts LLVM's DAP server (lldb-vscode / lldb-dap) between
// that client and the function. Any client only says "attach" (VS Code's `openruntime-lldb` type, nvim-dap, a test):
// this turns the request into lldb's `launch` of the function's bootstrap with the Lambda environment this process was
// given, so no client needs to know the program, its variables or its Runtime API address. lldb holds the program
// until the client has set its breakpoints (`configurationDone`). The function's output reaches lldb through a pseudo
// terminal and comes back as `output` events: it is written to this process's stdout, which is the function's log.
// Self-contained (Node built-ins only): it is bundled into dist/lldb-dap-proxy.cjs and run by the runner's Node.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Socket } from 'node:net';

/** What this process prints once it listens; the environment reports the debugger ready on it. */
const LISTENING = 'OPEN_RUNTIME_LLDB_LISTENING';

const [adapter, portText, program, ...programArgs] = process.argv.slice(2);
const port = Number(portText);

/** Content-Length framed JSON messages from a stream, as DAP sends them. */
function readMessages(onMessage: (message: Record<string, any>) => void): (chunk: Buffer) => void {
  let buffer = Buffer.alloc(0);
  return (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/Content-Length:\s*(\d+)/i.exec(buffer.subarray(0, end).toString('latin1'))?.[1]);
      if (!Number.isFinite(length) || buffer.length < end + 4 + length) return;
      const body = buffer.subarray(end + 4, end + 4 + length).toString('utf8');
      buffer = buffer.subarray(end + 4 + length);
      try {
        onMessage(JSON.parse(body));
      } catch {
        // Not JSON: nothing a DAP peer sends; dropped rather than passed on half-understood.
      }
    }
  };
}

function frame(message: object): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'latin1'), body]);
}

/** The client's attach (or launch) as lldb's launch of the bootstrap, in this process's folder and environment. */
function launchArguments(args: Record<string, unknown> = {}): Record<string, unknown> {
  // What a client may say about the program is replaced: the function is this one, started this way.
  const { pid: _pid, program: _program, args: _args, cwd: _cwd, env: _env, attachCommands: _a, launchCommands: _l, waitFor: _w, ...rest } = args;
  return {
    ...rest,
    program,
    args: programArgs,
    cwd: process.cwd(),
    env: Object.entries(process.env).map(([key, value]) => `${key}=${value}`),
    stopOnEntry: args.stopOnEntry === true,
  };
}

let lldb: ChildProcess | undefined;
let debuggee: number | undefined;

/** The function's process and lldb end with this one: the environment stops by signalling this process's group. */
function end(code: number): never {
  if (debuggee) {
    try {
      process.kill(debuggee, 'SIGKILL');
    } catch {}
  }
  lldb?.kill('SIGKILL');
  process.exit(code);
}
process.on('SIGTERM', () => end(0));
process.on('SIGINT', () => end(0));

function serve(client: Socket): void {
  lldb = spawn(adapter!, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  lldb.on('error', (err) => {
    process.stderr.write(`Could not start ${adapter}: ${err.message}\n`);
    end(1);
  });
  lldb.on('exit', (code) => {
    client.end();
    end(code ?? 0);
  });
  // Which client requests were rewritten: their responses carry the command the client sent.
  const rewritten = new Map<number, string>();
  client.on(
    'data',
    readMessages((message) => {
      if (message.type === 'request' && (message.command === 'attach' || message.command === 'launch')) {
        rewritten.set(message.seq, message.command);
        message = { ...message, command: 'launch', arguments: launchArguments(message.arguments) };
      }
      lldb?.stdin?.write(frame(message));
    }),
  );
  client.on('close', () => lldb?.stdin?.end());
  client.on('error', () => undefined);
  let partial = '';
  lldb.stdout!.on(
    'data',
    readMessages((message) => {
      if (message.type === 'response' && rewritten.has(message.request_seq)) {
        message = { ...message, command: rewritten.get(message.request_seq) };
      } else if (message.type === 'event' && message.event === 'process' && typeof message.body?.systemProcessId === 'number') {
        debuggee = message.body.systemProcessId;
      } else if (message.type === 'event' && message.event === 'output' && (message.body?.category === 'stdout' || message.body?.category === 'stderr')) {
        // The pseudo terminal's line ends are \r\n: the log gets the lines as the function wrote them.
        const text = partial + String(message.body.output ?? '').replace(/\r\n/g, '\n');
        const lines = text.split('\n');
        partial = lines.pop() ?? '';
        if (lines.length) process.stdout.write(`${lines.join('\n')}\n`);
      }
      if (!client.destroyed) client.write(frame(message));
    }),
  );
}

const server = createServer((client) => {
  server.close(); // one debugger per environment, as Delve and debugpy serve it
  serve(client);
});
server.on('error', async (err: NodeJS.ErrnoException) => {
  const message =
    err.code === 'EADDRINUSE'
      ? `The debugger could not listen on 127.0.0.1:${port}: the port is taken (by another debug session of this or another function?). Let that session end, or debug on another port.`
      : `The debugger could not listen on 127.0.0.1:${port}: ${err.message}`;
  // Said as the function's init error, as Lambda's runtimes report theirs.
  await fetch(`http://${process.env.AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/init/error`, {
    method: 'POST',
    headers: { 'Lambda-Runtime-Function-Error-Type': 'Runtime.DebuggerUnavailable' },
    body: JSON.stringify({ errorType: 'Runtime.DebuggerUnavailable', errorMessage: message }),
  }).catch(() => process.stderr.write(`${message}\n`));
  end(1);
});
server.listen(port, '127.0.0.1', () => process.stdout.write(`${LISTENING} ${port}\n`));
