// Go functions: a static `bootstrap` for provided.al2023 / provided.al2, cross-compiled by the Go toolchain
// itself (GOOS=linux GOARCH=arm64|amd64 CGO_ENABLED=0), with the `lambda.norpc` tag that drops aws-lambda-go's
// RPC mode (unused on provided runtimes) from the binary.
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Architecture } from '../functions/model.ts';
import { BuildError, runTool } from './run-tool.ts';
import type { PackageProducer } from './producer.ts';

export function isGoFunction(codeUri: string): boolean {
  return existsSync(join(codeUri, 'go.mod')) || (existsSync(codeUri) && readdirSync(codeUri).some((f) => f.endsWith('.go')));
}

const GOARCH: Record<Architecture, string> = { x86_64: 'amd64', arm64: 'arm64' };

export const buildGo: PackageProducer = async ({ fn, architecture, staging, log, signal }) => {
  log(`go build (GOOS=linux GOARCH=${GOARCH[architecture]} CGO_ENABLED=0 -tags lambda.norpc) in ${fn.codeUri}`);
  const { code, output } = await runTool({
    command: process.env.OPEN_RUNTIME_GO ?? 'go',
    args: ['build', '-tags', 'lambda.norpc', '-trimpath', '-ldflags=-s -w', '-o', join(staging, 'bootstrap'), '.'],
    cwd: fn.codeUri,
    // GOTOOLCHAIN=local: never download another Go toolchain in the middle of a build (Go 1.21+).
    env: { GOOS: 'linux', GOARCH: GOARCH[architecture], CGO_ENABLED: '0', GOTOOLCHAIN: 'local' },
    log,
    rewrite: (line) => absoluteGoLocation(fn.codeUri, line),
    signal,
    missing:
      'Go is not installed (no "go" on PATH), so this Go function can\'t be built. Install Go 1.19 or later (Debian: apt-get install golang-go) or set OPEN_RUNTIME_GO to the go binary.',
  });
  if (code !== 0) {
    const offline = /dial tcp|proxy\.golang\.org|no such host|connection refused|i\/o timeout|GOPROXY|GOFLAGS=-mod=mod/i.test(output);
    throw new BuildError(
      offline
        ? `go build could not download the module's dependencies (is the network or GOPROXY reachable?). Vendor them with "go mod vendor" where the network is reachable, or fill the module cache there first.`
        : `go build failed for ${fn.name} (exit code ${code}); the compiler's messages are above.`,
      output,
    );
  }
  return { notes: [] };
};

/** `./main.go:12:3: undefined: x` -> `/abs/main.go:12:3: error: undefined: x`, the form the problem matcher reads. */
export function absoluteGoLocation(dir: string, line: string): string {
  const m = /^((?:\.\.?\/)?[^\s:]+\.go):(\d+)(?::(\d+))?: (.*)$/.exec(line);
  if (!m) return line;
  return `${resolve(dir, m[1]!)}:${m[2]}:${m[3] ?? 1}: error: ${m[4]}`;
}
