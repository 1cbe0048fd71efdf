// Runs a build tool (go, cargo, npm, pip) the way a terminal would, with its output passed on line by line
// (so a task's problem matchers see it) and kept for the error message, and stopped when the build is cancelled.
import { onLines } from '../lines.ts';
import { spawn } from 'node:child_process';
import { ownProcessGroup, signalProcessTree } from '../platform.ts';

export class BuildError extends Error {
  /** The tool's output, when a tool failed: shown after the message. */
  readonly output: string;
  constructor(message: string, output = '') {
    super(message);
    this.name = 'BuildError';
    this.output = output;
  }
}

export class BuildCancelledError extends BuildError {
  constructor() {
    super('The build was cancelled.');
    this.name = 'BuildCancelledError';
  }
}

export interface ToolRun {
  command: string;
  args: string[];
  cwd: string;
  env?: Record<string, string | undefined>;
  /** Each output line, possibly rewritten (e.g. relative paths made absolute for problem matchers). */
  log?: ((line: string) => void) | undefined;
  rewrite?: (line: string) => string;
  signal?: AbortSignal | undefined;
  /** What to say when the command is not installed. */
  missing: string;
}

export interface ToolResult {
  code: number;
  output: string;
}

export function runTool(run: ToolRun): Promise<ToolResult> {
  if (run.signal?.aborted) return Promise.reject(new BuildCancelledError());
  return new Promise((resolve, reject) => {
    const child = spawn(run.command, run.args, {
      cwd: run.cwd,
      env: { ...process.env, ...run.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...ownProcessGroup(), // its own process group, so cancelling stops the compilers it started too
    });
    const lines: string[] = [];
    const onLine = (line: string) => {
      if (!line.trim()) return;
      const shown = run.rewrite ? run.rewrite(line) : line;
      lines.push(shown);
      if (lines.length > 400) lines.splice(0, lines.length - 400);
      run.log?.(shown);
    };
    onLines(child.stdout!, onLine);
    onLines(child.stderr!, onLine);
    const cancel = () => {
      signalProcessTree(child, 'SIGTERM');
    };
    run.signal?.addEventListener('abort', cancel, { once: true });
    child.once('error', (err: NodeJS.ErrnoException) => {
      run.signal?.removeEventListener('abort', cancel);
      reject(new BuildError(err.code === 'ENOENT' ? run.missing : `Could not run ${run.command}: ${err.message}.`));
    });
    child.once('close', (code, signal) => {
      run.signal?.removeEventListener('abort', cancel);
      if (run.signal?.aborted) return reject(new BuildCancelledError());
      resolve({ code: code ?? (signal ? 128 : 1), output: lines.join('\n') });
    });
  });
}
