// Lambda's Node runtimes ship the whole AWS SDK v3; the runner carries only the packages it uses itself (client-lambda
// and a few). A function importing another client (`@aws-sdk/client-s3`, `@aws-sdk/lib-dynamodb`) gets it installed
// once from the npm registry npm is configured with, into the user's cache, at the SDK version the runner carries (one
// SDK release, as on Lambda), and found through NODE_PATH and the ES module hook like the runner's own (aws-sdk.ts).
// Which packages: the `@aws-sdk/...` specifiers in the function's own source files (its code folder, not node_modules),
// read once per code folder. OPEN_RUNTIME_NO_SDK_DOWNLOAD=1 turns it off; offline, the import fails as before with
// the command that installs it, and the log says why nothing was installed.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { userCacheDir } from '../../paths.ts';

const SPECIFIER = /['"](@aws-sdk\/[a-z0-9-]+)(?:\/[^'"]*)?['"]/g;
const SOURCE = /\.(m|c)?(j|t)sx?$/;
/** Enough for a function's own code; a folder bigger than this is not read further. */
const MAX_FILES = 2000;
const MAX_FILE_BYTES = 1_000_000;

/** The `@aws-sdk/*` package names a function's own source files import or require. */
export function sdkPackagesImported(codeUri: string): string[] {
  const found = new Set<string>();
  let files = 0;
  const visit = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (files >= MAX_FILES) return;
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.isFile() && SOURCE.test(entry.name)) {
        files++;
        try {
          if (statSync(path).size > MAX_FILE_BYTES) continue;
          for (const m of readFileSync(path, 'utf8').matchAll(SPECIFIER)) found.add(m[1]!);
        } catch {
          // unreadable: not ours to judge
        }
      }
    }
  };
  visit(codeUri);
  return [...found].sort();
}

/** Whether `name` resolves from a node_modules folder at or above `dir`. */
function installedAbove(dir: string, name: string): boolean {
  for (let at = dir; ; at = join(at, '..')) {
    if (existsSync(join(at, 'node_modules', name, 'package.json'))) return true;
    if (join(at, '..') === at) return false;
  }
}

/** The folder the downloaded SDK packages go into, per SDK version: `<cache>/aws-sdk-packages/<version>/node_modules`. */
export function downloadedSdkFolder(version: string): string {
  return userCacheDir('aws-sdk-packages', version, 'node_modules');
}

export interface SdkDownload {
  /** node_modules folder to put on NODE_PATH (it may hold nothing yet when every install failed). */
  folder: string;
  /** Installed now (for the log). */
  installed: string[];
  /** Why some could not be installed: a sentence for the log. */
  problem?: string;
}

/**
 * Installs the SDK packages the function imports that neither it, the runner, nor an earlier download has. `carried`:
 * the runner's own @aws-sdk folder; `version`: its client-lambda version, the release every package is taken from.
 */
export async function ensureSdkPackages(codeUri: string, carried: string | undefined, version: string, log: (line: string) => void): Promise<SdkDownload> {
  const folder = downloadedSdkFolder(version);
  const wanted = sdkPackagesImported(codeUri).filter(
    (name) =>
      !installedAbove(codeUri, name) &&
      !(carried && existsSync(join(carried, name.slice('@aws-sdk/'.length), 'package.json'))) &&
      !existsSync(join(folder, name, 'package.json')),
  );
  if (!wanted.length) return { folder, installed: [] };
  if (process.env.OPEN_RUNTIME_NO_SDK_DOWNLOAD === '1')
    return { folder, installed: [], problem: `${wanted.join(', ')} not installed: OPEN_RUNTIME_NO_SDK_DOWNLOAD=1 turns installing SDK packages off.` };
  const specs = wanted.map((name) => `${name}@${version}`);
  log(`installing ${specs.join(', ')} from the npm registry into ${folder} (Lambda's Node runtime includes the AWS SDK v3; once per package) ...`);
  const started = Date.now();
  const root = join(folder, '..');
  const result = await new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(
      'npm',
      [
        'install',
        '--prefix',
        root,
        '--no-save',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        '--fetch-retries=1',
        '--fetch-retry-mintimeout=1000',
        '--fetch-retry-maxtimeout=5000',
        ...specs,
      ],
      { timeout: 300_000, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: 'false' } },
      (error, _stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stderr: String(stderr) }),
    );
  });
  if (result.code !== 0 || !wanted.every((name) => existsSync(join(folder, name, 'package.json')))) {
    const why = result.stderr.trim().split('\n').filter(Boolean).slice(-2).join(' ') || `npm exited with ${result.code}`;
    return {
      folder,
      installed: [],
      problem: `${wanted.join(', ')} could not be installed from the npm registry (${why}); the function's import of ${wanted.length > 1 ? 'them' : 'it'} fails until you install ${wanted.length > 1 ? 'them' : 'it'} for the function.`,
    };
  }
  log(`installed ${specs.join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { folder, installed: wanted };
}
