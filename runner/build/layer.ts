// `open-runtime build-layer`: the Open Runtime layer, the Runtime API proxy (layer/proxy, Go, standard library
// only) that runs a function's middlewares on AWS Lambda itself. One layer zip per architecture: the static, stripped
// proxy itself as `open-runtime-wrapper` at the layer's root (what AWS_LAMBDA_EXEC_WRAPPER names; no shell script in
// front of it: a `sh` that only exec'd the proxy cost about 1 ms of every cold start), and, when asked, a project's
// `middlewares/` folder (they land at /opt/middlewares, where the proxy looks).
// The unpacked folder is kept next to the zip: it is a local layer the runner shows at /opt as it is.
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Architecture } from '../functions/model.ts';
import { PACKAGE_ROOT } from '../paths.ts';
import { BuildError, runTool } from './run-tool.ts';
import { writeZip, type ZipInput } from './zip.ts';

export const BUILD_LAYER_USAGE = `  open-runtime build-layer [--arch arm64|x86_64|all] [--middlewares <dir>] [--out <dir>]
      Build the Open Runtime layer (the middleware proxy for AWS Lambda): <out>/<arch>/open-runtime-layer.zip and the
      same files unpacked in <out>/<arch>/layer (default out: .open-runtime/layer; default arch: all).`;

const GOARCH: Record<Architecture, string> = { x86_64: 'amd64', arm64: 'arm64' };
export const PROXY_SOURCE = join(PACKAGE_ROOT, 'layer', 'proxy');
/** The layer's entry (AWS_LAMBDA_EXEC_WRAPPER, or `exec`'d by a custom runtime's bootstrap): the proxy binary. */
export const LAYER_ENTRY = 'open-runtime-wrapper';

export interface BuiltLayer {
  architecture: Architecture;
  /** The unpacked layer: usable as a local layer folder. */
  dir: string;
  zipPath: string;
  proxyBytes: number;
  zipBytes: number;
}

/** Builds the layer for one architecture into `<out>/<arch>/`. */
export async function buildLayer(
  architecture: Architecture,
  options: { out: string; middlewares?: string | undefined; log?: (line: string) => void; signal?: AbortSignal },
): Promise<BuiltLayer> {
  const base = join(options.out, architecture);
  const dir = join(base, 'layer');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const proxy = join(dir, LAYER_ENTRY);
  const { code, output } = await runTool({
    command: process.env.OPEN_RUNTIME_GO ?? 'go',
    args: ['build', '-trimpath', '-ldflags=-s -w', '-o', proxy, '.'],
    cwd: PROXY_SOURCE,
    env: { GOOS: 'linux', GOARCH: GOARCH[architecture], CGO_ENABLED: '0', GOTOOLCHAIN: 'local' },
    log: options.log,
    signal: options.signal,
    missing:
      'Go is not installed (no "go" on PATH), so the Open Runtime layer can\'t be built. Install Go 1.19 or later (Debian: apt-get install golang-go) or set OPEN_RUNTIME_GO to the go binary.',
  });
  if (code !== 0)
    throw new BuildError(`go build of the Open Runtime proxy (${PROXY_SOURCE}) failed (exit code ${code}); the compiler's messages are above.`, output);
  chmodSync(proxy, 0o755);
  if (options.middlewares) {
    if (!existsSync(options.middlewares) || !statSync(options.middlewares).isDirectory()) {
      throw new BuildError(
        `--middlewares ${options.middlewares} is not a folder: point it at the folder holding your middlewares (usually middlewares/ next to template.yaml).`,
      );
    }
    cpSync(options.middlewares, join(dir, 'middlewares'), { recursive: true, dereference: true });
  }
  const files = listFiles(dir);
  const zip = writeZip(files);
  const zipPath = join(base, 'open-runtime-layer.zip');
  writeFileSync(zipPath, zip);
  return { architecture, dir, zipPath, proxyBytes: statSync(proxy).size, zipBytes: zip.byteLength };
}

function listFiles(root: string, sub = ''): ZipInput[] {
  return readdirSync(join(root, sub), { withFileTypes: true }).flatMap((entry) => {
    const name = sub ? `${sub}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return listFiles(root, name);
    const path = join(root, name);
    return [{ name, data: new Uint8Array(readFileSync(path)), mode: statSync(path).mode & 0o777 }];
  });
}

export async function buildLayerCommand(args: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args,
      options: { arch: { type: 'string', short: 'a' }, middlewares: { type: 'string', short: 'm' }, out: { type: 'string', short: 'o' } },
    }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\nUsage:\n${BUILD_LAYER_USAGE}\n`);
    return 2;
  }
  const arch = values.arch ?? 'all';
  if (arch !== 'all' && !Architecture.safeParse(arch).success) {
    process.stderr.write(`Unknown architecture "${arch}": use arm64, x86_64 or all.\nUsage:\n${BUILD_LAYER_USAGE}\n`);
    return 2;
  }
  const out = resolve(values.out ?? join('.open-runtime', 'layer'));
  try {
    for (const a of arch === 'all' ? (['x86_64', 'arm64'] as const) : [arch as Architecture]) {
      const built = await buildLayer(a, { out, middlewares: values.middlewares, log: (line) => process.stderr.write(`${line}\n`) });
      process.stdout.write(`${a}: ${relative(process.cwd(), built.zipPath) || built.zipPath} (zip ${kib(built.zipBytes)}, proxy ${kib(built.proxyBytes)})\n`);
    }
  } catch (err) {
    const output = err instanceof BuildError && err.output ? `${err.output}\n` : '';
    process.stderr.write(`${output}open-runtime build-layer: ${(err as Error).message}\n`);
    return 1;
  }
  return 0;
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(0)} KiB`;
}
