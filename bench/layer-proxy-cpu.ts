// node bench/layer-proxy-cpu.ts [invokes]: the layer proxy's own CPU time per invoke with no hook to run, measured
// without the runner: a minimal Runtime API (raw HTTP/1.1 on 127.0.0.1, port 0) feeds events to the proxy, whose
// child is a minimal runtime that pipelines each answer and its next GET /next as the runner's Node client does.
// What is measured is the proxy process's CPU (/proc/PID/task/TID/schedstat), which a loaded machine blurs far less
// than wall time. One JSON line on stdout ({"metric","value","unit","client"}, as bench/run.ts prints).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { arch, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLayer } from '../runner/build/layer.ts';

const PREFIX = '/2018-06-01/runtime/invocation/';

/** Child mode: the runtime the proxy starts. */
function runtime(): void {
  const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API!.split(':') as [string, string];
  const socket = connect({ host, port: Number(port), noDelay: true });
  // Killed with the proxy at the end of the bench: a reset connection is the end, not a crash to print.
  socket.on('error', () => process.exit(0));
  const hostHeader = `Host: ${host}:${port}\r\n`;
  const next = () => `GET ${PREFIX}next HTTP/1.1\r\n${hostHeader}User-Agent: bench\r\n\r\n`;
  let buffer = Buffer.alloc(0);
  socket.write(next());
  socket.on('data', (data: Buffer) => {
    buffer = Buffer.concat([buffer, data]);
    for (;;) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffer.toString('latin1', 0, end);
      const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (buffer.length < end + 4 + length) return;
      const body = buffer.subarray(end + 4, end + 4 + length).toString();
      buffer = buffer.subarray(end + 4 + length);
      const id = /lambda-runtime-aws-request-id: *(\S+)/i.exec(head)?.[1];
      if (!id) continue;
      const answer = JSON.stringify({ statusCode: 200, body });
      socket.write(
        `POST ${PREFIX}${id}/response HTTP/1.1\r\n${hostHeader}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(answer)}\r\n\r\n${answer}${next()}`,
      );
    }
  });
}

async function measure(invokes: number): Promise<void> {
  const out = mkdtempSync(join(tmpdir(), 'or-bench-proxy-cpu-'));
  const warmup = 500;
  try {
    const built = await buildLayer(arch() === 'arm64' ? 'arm64' : 'x86_64', {
      out,
      middlewares: join(import.meta.dirname, '..', 'test', 'fixtures', 'middleware', 'bench', 'middlewares'),
    });
    let served = 0;
    let startCpu = 0;
    let done!: (cpuNs: number) => void;
    const finished = new Promise<number>((resolve) => (done = resolve));
    const event = JSON.stringify({ bench: true, items: [1, 2, 3] });
    let child: ReturnType<typeof spawn> | undefined;
    const cpu = () => {
      let total = 0;
      for (const tid of readdirSync(`/proc/${child!.pid}/task`))
        total += Number(readFileSync(`/proc/${child!.pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      return total;
    };
    const server = createServer((socket) => {
      socket.setNoDelay(true);
      // The proxy is killed at the end: its connection may reset under a write (not a failure of the bench).
      socket.on('error', () => undefined);
      let buffer = Buffer.alloc(0);
      socket.on('data', (data: Buffer) => {
        buffer = Buffer.concat([buffer, data]);
        for (;;) {
          const end = buffer.indexOf('\r\n\r\n');
          if (end < 0) return;
          const head = buffer.toString('latin1', 0, end);
          const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
          if (buffer.length < end + 4 + length) return;
          buffer = buffer.subarray(end + 4 + length);
          if (!head.startsWith('GET')) {
            socket.write('HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{"status":"OK"}');
            continue;
          }
          if (served === warmup) startCpu = cpu();
          if (served === warmup + invokes) {
            done(cpu() - startCpu);
            return;
          }
          served++;
          socket.write(
            `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: req-${served}\r\nLambda-Runtime-Deadline-Ms: ${Date.now() + 30_000}\r\n` +
              `Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:Bench\r\nContent-Length: ${event.length}\r\n\r\n${event}`,
          );
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    child = spawn(join(built.dir, 'open-runtime-wrapper'), [process.execPath, import.meta.filename, 'runtime'], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...process.env,
        AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${(server.address() as AddressInfo).port}`,
        // An error-only middleware: the proxy is in the path and runs no hook on success.
        OPEN_RUNTIME_MIDDLEWARES: 'on-error',
        // The layer's middlewares/ folder is found as a package's would be ($LAMBDA_TASK_ROOT/middlewares).
        LAMBDA_TASK_ROOT: built.dir,
        AWS_LAMBDA_FUNCTION_NAME: 'Bench',
      },
    });
    const cpuNs = await finished;
    child.kill('SIGKILL');
    server.close();
    process.stdout.write(
      `${JSON.stringify({ metric: `layer proxy CPU time per invoke, no hook to run (proxy alone, ${invokes} invokes)`, value: Math.round((cpuNs / invokes / 1e6) * 1000) / 1000, unit: 'ms', client: 'open-runtime layer proxy' })}\n`,
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'runtime') runtime();
else await measure(Number(process.argv[2] ?? 5000));
