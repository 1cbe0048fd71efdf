// Rust functions: `cargo lambda build` when cargo-lambda is installed (it cross-compiles with Zig), else plain
// `cargo build --target <arch>-unknown-linux-{musl,gnu}`, which needs that target's standard library
// (`rustup target add ...`): when it is missing the build says so instead of failing deep inside cargo.
import { spawnSync } from 'node:child_process';
import { copyFileSync, chmodSync, existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Architecture, FunctionSpec } from '../functions/model.ts';
import type { PackageProducer } from './producer.ts';
import { BuildError, runTool } from './run-tool.ts';

export function isRustFunction(codeUri: string): boolean {
  return existsSync(join(codeUri, 'Cargo.toml'));
}

const CPU: Record<Architecture, string> = { x86_64: 'x86_64', arm64: 'aarch64' };
const CARGO_MISSING = 'cargo is not installed (no "cargo" on PATH), so this Rust function can\'t be built. Install Rust (rustup or Debian cargo).';

export const buildRust: PackageProducer = async (ctx) => {
  const cargo = process.env.OPEN_RUNTIME_CARGO ?? 'cargo';
  const cargoLambda = spawnSync(cargo, ['lambda', '--version'], { encoding: 'utf8' });
  if (cargoLambda.status === 0) return buildWithCargoLambda(ctx, cargo);
  return buildWithCargo(ctx, cargo);
};

const buildWithCargoLambda: (ctx: Parameters<PackageProducer>[0], cargo: string) => ReturnType<PackageProducer> = async (
  { fn, architecture, staging, buildDir, log, signal },
  cargo,
) => {
  const lambdaDir = join(buildDir, 'cargo-lambda');
  const { code, output } = await runTool({
    command: cargo,
    args: ['lambda', 'build', '--release', architecture === 'arm64' ? '--arm64' : '--x86-64', '--lambda-dir', lambdaDir],
    cwd: fn.codeUri,
    log,
    rewrite: (line) => absoluteRustLocation(fn.codeUri, line),
    signal,
    missing: CARGO_MISSING,
  });
  if (code !== 0) throw new BuildError(failureMessage('cargo lambda build', code, output), output);
  const bins = existsSync(lambdaDir) ? readdirSync(lambdaDir).filter((d) => existsSync(join(lambdaDir, d, 'bootstrap'))) : [];
  const bin = pickBinary(bins, fn.name);
  copyFileSync(join(lambdaDir, bin, 'bootstrap'), join(staging, 'bootstrap'));
  chmodSync(join(staging, 'bootstrap'), 0o755);
  return { notes: [`Built with cargo-lambda (binary ${bin}).`] };
};

const buildWithCargo: (ctx: Parameters<PackageProducer>[0], cargo: string) => ReturnType<PackageProducer> = async (
  { fn, architecture, staging, log, signal },
  cargo,
) => {
  const target = pickTarget(architecture);
  const { bin, targetDirectory } = rustBinary(fn, cargo);
  const env: Record<string, string> = {};
  const linkerVar = `CARGO_TARGET_${target.toUpperCase().replace(/-/g, '_')}_LINKER`;
  const crossGcc = `${CPU[architecture]}-linux-gnu-gcc`;
  if (target.endsWith('-gnu') && CPU[architecture] !== hostCpu() && !process.env[linkerVar] && onPath(crossGcc)) env[linkerVar] = crossGcc;
  log(`cargo build --release --target ${target} --bin ${bin}`);
  const { code, output } = await runTool({
    command: cargo,
    args: ['build', '--release', '--target', target, '--bin', bin],
    cwd: fn.codeUri,
    env,
    log,
    rewrite: (line) => absoluteRustLocation(fn.codeUri, line),
    signal,
    missing: CARGO_MISSING,
  });
  if (code !== 0) throw new BuildError(failureMessage('cargo build', code, output, target, architecture), output);
  copyFileSync(join(targetDirectory, target, 'release', bin), join(staging, 'bootstrap'));
  chmodSync(join(staging, 'bootstrap'), 0o755);
  const notes = [`Built ${bin} for ${target} with cargo (cargo-lambda is not installed).`];
  if (target.endsWith('-gnu'))
    notes.push(
      `${target} links against this machine's glibc; provided.al2023 has glibc 2.34, so prefer the musl target (rustup target add ${CPU[architecture]}-unknown-linux-musl) when the function fails with "GLIBC_2.xx not found".`,
    );
  return { notes };
};

/** The function's binary target and cargo's target folder, from `cargo metadata` (offline: no crate is fetched for it). */
export function rustBinary(fn: FunctionSpec, cargo: string): { bin: string; targetDirectory: string } {
  const metadata = spawnSync(cargo, ['metadata', '--no-deps', '--format-version', '1', '--offline'], {
    cwd: fn.codeUri,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (metadata.error) throw new BuildError(CARGO_MISSING);
  if (metadata.status !== 0)
    throw new BuildError(`cargo could not read ${join(fn.codeUri, 'Cargo.toml')}: ${metadata.stderr.trim().split('\n').pop()}`, metadata.stderr);
  const meta = JSON.parse(metadata.stdout) as {
    target_directory: string;
    packages: Array<{ manifest_path: string; targets: Array<{ name: string; kind: string[] }> }>;
  };
  const pkg = meta.packages.find((p) => resolve(p.manifest_path) === resolve(fn.codeUri, 'Cargo.toml')) ?? meta.packages[0];
  const bins = (pkg?.targets ?? []).filter((t) => t.kind.includes('bin')).map((t) => t.name);
  return { bin: pickBinary(bins, fn.name), targetDirectory: meta.target_directory };
}

/** musl (static, runs on any Lambda OS) when its standard library is installed, else gnu; else a clear error. */
function pickTarget(architecture: Architecture): string {
  const candidates = [`${CPU[architecture]}-unknown-linux-musl`, `${CPU[architecture]}-unknown-linux-gnu`];
  for (const target of candidates) if (hasStd(target)) return target;
  const rustup = onPath('rustup');
  throw new BuildError(
    `The Rust standard library for ${candidates.join(' or ')} is not installed, so cargo can't build this function for ${architecture}. ` +
      (rustup ? `Add it with "rustup target add ${candidates[0]}"` : `Install rustup and run "rustup target add ${candidates[0]}"`) +
      (CPU[architecture] !== hostCpu() ? ` (for the gnu target also a linker: apt-get install gcc-${CPU[architecture]}-linux-gnu)` : '') +
      `, or install cargo-lambda (cargo install cargo-lambda), which cross-compiles with Zig.`,
  );
}

function hasStd(target: string): boolean {
  const out = spawnSync(process.env.OPEN_RUNTIME_RUSTC ?? 'rustc', ['--print', 'target-libdir', '--target', target], { encoding: 'utf8' });
  if (out.status !== 0) return false;
  const dir = out.stdout.trim();
  return existsSync(dir) && readdirSync(dir).some((f) => f.startsWith('libstd-'));
}

function pickBinary(bins: string[], functionName: string): string {
  if (bins.length === 1) return bins[0]!;
  const wanted = [functionName, functionName.toLowerCase(), kebab(functionName), kebab(functionName).replace(/-/g, '_'), 'bootstrap'];
  const match = bins.find((b) => wanted.includes(b));
  if (match) return match;
  if (!bins.length) throw new BuildError('The Rust package has no binary target; a Lambda function needs a [[bin]] (src/main.rs).');
  throw new BuildError(
    `The Rust package has several binaries (${bins.join(', ')}); name the function's binary "${kebab(functionName)}" or "bootstrap" so the build knows which one is the function.`,
  );
}

function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

function hostCpu(): string {
  return process.arch === 'arm64' ? 'aarch64' : 'x86_64';
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(join(dir, command)));
}

function failureMessage(what: string, code: number, output: string, target?: string, architecture?: Architecture): string {
  if (/index\.crates\.io|Couldn't resolve host|failed to download|failed to get .* as a dependency|spurious network error/i.test(output)) {
    return `${what} could not download crates (is crates.io reachable?). Run "cargo fetch" where the network is reachable, or vendor the dependencies (cargo vendor).`;
  }
  if (target && /linker .* not found|linking with .* failed/i.test(output)) {
    return `${what} could not link for ${target}: a linker for ${architecture} is needed (apt-get install gcc-${CPU[architecture!]}-linux-gnu, then set CARGO_TARGET_${target.toUpperCase().replace(/-/g, '_')}_LINKER), or install cargo-lambda.`;
  }
  return `${what} failed (exit code ${code}); the compiler's messages are above.`;
}

/** cargo prints `  --> src/main.rs:3:5` under each message; make the path absolute for the problem matcher. */
export function absoluteRustLocation(dir: string, line: string): string {
  const m = /^(\s*-->\s+)(.+?):(\d+):(\d+)$/.exec(line);
  if (!m) return line;
  return `${m[1]}${resolve(dir, m[2]!)}:${m[3]}:${m[4]}`;
}
