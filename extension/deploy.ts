// "Open Runtime: Build and Deploy Function...": pick the function, the architecture and the target (AWS Lambda,
// or this workspace's local runner), then run `open-runtime deploy ... --json-lines` (the CLI's unit, out of the
// extension host) with its steps shown as progress. Cancel works until the first call that changes Lambda; the
// end is the deployed version with a way to invoke it. Arguments skip the pickers (tests, keybindings). A function
// with middlewares ships them in the Open Runtime layer (runner/deploy/middleware-layer.ts), as the CLI does.
import { onLines } from '../runner/lines.ts';
import { spawn } from 'node:child_process';
import * as vscode from 'vscode';
import type { FunctionSpec } from '../runner/functions/model.ts';
import type { DeployResult } from '../runner/deploy/deploy-function.ts';
import type { Ctx } from './ctx.ts';
import { runnerCommand } from './tasks.ts';

export const DEPLOY_COMMAND = 'openRuntime.buildAndDeploy';

export interface DeployArgs {
  readonly functionName?: string;
  readonly arch?: 'arm64' | 'x86_64';
  readonly target?: 'aws' | 'local';
  /** Defaults come from the openRuntime.deploy.* settings. */
  readonly role?: string;
  readonly alias?: string;
  readonly endpointUrl?: string;
  readonly region?: string;
  readonly profile?: string;
  /** Name in Lambda; default: the function's. */
  readonly deployedName?: string;
  /** A function with middlewares: deploy the handler alone, leaving its chain behind (default: the chain ships). */
  readonly withoutMiddlewares?: boolean;
}

interface DeploySettings {
  role: string;
  alias: string;
  endpointUrl: string;
  region: string;
  profile: string;
}

function readDeploySettings(scope?: vscode.ConfigurationScope): DeploySettings {
  const c = vscode.workspace.getConfiguration('openRuntime.deploy', scope);
  const text = (key: string) => (c.get<string>(key, '') ?? '').trim();
  return { role: text('role'), alias: text('alias'), endpointUrl: text('endpointUrl'), region: text('region'), profile: text('profile') };
}

export function registerDeployCommand(ctx: Ctx): void {
  ctx.push(vscode.commands.registerCommand(DEPLOY_COMMAND, (args?: DeployArgs) => buildAndDeploy(ctx, args ?? {})));
}

export async function buildAndDeploy(ctx: Ctx, args: DeployArgs): Promise<DeployResult | undefined> {
  const folder = ctx.folderFor(vscode.window.activeTextEditor?.document.uri);
  if (!folder) {
    void vscode.window.showErrorMessage('Open Runtime needs a workspace folder to deploy from: open the folder that holds your template.yaml.');
    return undefined;
  }
  const { functions } = await ctx.functions.get(folder);
  const fn = await pickFunction(functions, args.functionName);
  if (!fn) return undefined;
  if (fn.runtime === 'wasi') {
    void vscode.window.showErrorMessage(
      `${fn.name} is a WASI component: Lambda has no runtime for components, so it can't be deployed there. Build it with the "open-runtime: build ${fn.name}" task.`,
    );
    return undefined;
  }
  const arch = args.arch ?? (await pickArchitecture(fn));
  if (!arch) return undefined;
  const target = args.target ?? (await pickTarget());
  if (!target) return undefined;
  const settings = readDeploySettings(folder);
  // The chain ships in the Open Runtime layer; leaving it behind is only ever asked for explicitly.
  const withoutMiddlewares = args.withoutMiddlewares === true;

  let endpointUrl = args.endpointUrl ?? (target === 'aws' ? settings.endpointUrl : '');
  if (target === 'local') {
    try {
      const runner = await ctx.runnerFor(folder);
      if (runner.state.kind !== 'ready') throw new Error(runner.state.kind === 'failed' ? runner.state.message : 'it is not running');
      endpointUrl = `http://127.0.0.1:${runner.state.port}`;
    } catch (err) {
      void vscode.window.showErrorMessage(
        `Could not reach the local runner to deploy to (${(err as Error).message}). Run "Open Runtime: Restart Runner" and try again.`,
      );
      return undefined;
    }
  }
  const cliArgs = ['deploy', fn.name, '--target', target, '--arch', arch, '--workspace', folder.uri.fsPath, '--json-lines'];
  const option = (flag: string, value: string | undefined) => {
    if (value) cliArgs.push(flag, value);
  };
  option('--endpoint-url', endpointUrl);
  option('--role', args.role ?? settings.role);
  option('--alias', args.alias ?? settings.alias);
  option('--function-name', args.deployedName);
  if (withoutMiddlewares) cliArgs.push('--without-middlewares');
  if (target === 'aws') {
    option('--region', args.region ?? settings.region);
    option('--profile', args.profile ?? settings.profile);
  }

  const where = target === 'local' ? 'the local runner' : 'AWS Lambda';
  ctx.log(`Deploying ${fn.name} (${arch}) to ${where}: open-runtime ${cliArgs.join(' ')}`);
  ctx.deployStatus.deploying(`${fn.name} to ${target === 'local' ? 'the runner' : 'AWS'}`);
  const outcome = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Deploying ${fn.name} (${arch}) to ${where}`, cancellable: true },
    (progress, token) => runDeploy(ctx, folder, cliArgs, progress, token),
  );
  if ('error' in outcome) {
    ctx.deployStatus.hide();
    void vscode.window.showErrorMessage(outcome.error, 'Show Output').then((choice) => {
      if (choice) ctx.showOutput();
    });
    return undefined;
  }
  announce(ctx, outcome.result);
  return outcome.result;
}

type Outcome = { result: DeployResult } | { error: string };

function runDeploy(
  ctx: Ctx,
  folder: vscode.WorkspaceFolder,
  args: string[],
  progress: vscode.Progress<{ message?: string }>,
  token: vscode.CancellationToken,
): Promise<Outcome> {
  const { command, env } = runnerCommand(ctx);
  const script = vscode.Uri.joinPath(ctx.extension.extensionUri, 'dist', 'runner.js').fsPath;
  return new Promise((resolve) => {
    const child = spawn(command, [script, ...args], {
      cwd: folder.uri.fsPath,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    let cancellable = true;
    let result: DeployResult | undefined;
    let error: string | undefined;
    const cancel = token.onCancellationRequested(() => {
      if (cancellable) {
        child.kill('SIGTERM');
      } else {
        // Past the first change to Lambda, stopping would leave it half-deployed: let it finish.
        progress.report({ message: 'Lambda is being changed already: finishing the deploy (it can no longer be cancelled).' });
      }
    });
    onLines(child.stdout, (line) => {
      line = line.trim();
      if (!line) return;
      let parsed: { progress?: { message: string; cancellable: boolean }; result?: DeployResult; error?: { message: string } };
      try {
        parsed = JSON.parse(line);
      } catch {
        ctx.log(line);
        return;
      }
      if (parsed.progress) {
        cancellable = parsed.progress.cancellable;
        progress.report({ message: parsed.progress.message });
      } else if (parsed.result) {
        result = parsed.result;
      } else if (parsed.error) {
        error = parsed.error.message;
      }
    });
    onLines(child.stderr, (line) => {
      if (line.trim()) ctx.log(`[deploy] ${line.trim()}`);
    });
    child.once('error', (err) => {
      cancel.dispose();
      resolve({ error: `Could not start the deploy (${err.message}). Check the openRuntime.nodePath setting.` });
    });
    child.once('close', (code) => {
      cancel.dispose();
      if (result) resolve({ result });
      else if (token.isCancellationRequested && code === 130) resolve({ error: 'The deploy was cancelled; nothing was changed.' });
      else resolve({ error: error ?? `The deploy stopped (exit code ${code}) without saying why. See the "Open Runtime" output.` });
    });
  });
}

/** "Deployed X version N" with what to do next: invoke it (local), or copy the CLI command / open the console (AWS). */
function announce(ctx: Ctx, result: DeployResult): void {
  const where = result.target === 'local' ? 'the local runner' : `AWS Lambda (${result.region})`;
  const layer = result.middlewareLayer;
  const chain = layer
    ? ` Its middlewares ${layer.middlewares.join(', ')} run in the Open Runtime layer (${layer.reused ? 'unchanged, reused' : `version ${layer.version}`}).`
    : '';
  const message = `Deployed ${result.functionName} version ${result.version}${result.alias ? ` (alias ${result.alias})` : ''} to ${where}.${chain}`;
  ctx.log(`${message} ${result.versionArn}`);
  // Stays in the status bar, clickable, after the notification has gone to the notification centre.
  const short = `${result.functionName} v${result.version} deployed${result.target === 'local' ? ' · Invoke' : ''}`;
  ctx.deployStatus.deployed(
    short,
    `${message}\n\n${result.target === 'local' ? 'Click to invoke it.' : `Invoke it with:\n${result.invokeCommand}\n\nClick to show the output.`}`,
    result.target === 'local' ? { title: 'Invoke', command: 'openRuntime.invokeWithEvent', arguments: [{ functionName: result.functionName }] } : undefined,
  );
  const actions = result.target === 'local' ? ['Invoke', 'Copy Invoke Command'] : ['Copy Invoke Command', 'Open in AWS Console'];
  void vscode.window.showInformationMessage(message, ...actions).then(async (choice) => {
    if (choice === 'Invoke') {
      await vscode.commands.executeCommand('openRuntime.invokeWithEvent', { functionName: result.functionName });
    } else if (choice === 'Copy Invoke Command') {
      await vscode.env.clipboard.writeText(result.invokeCommand);
    } else if (choice === 'Open in AWS Console') {
      const url = `https://console.aws.amazon.com/lambda/home?region=${result.region}#/functions/${encodeURIComponent(result.functionName)}/versions/${result.version}`;
      await vscode.env.openExternal(vscode.Uri.parse(url));
    }
  });
}

async function pickFunction(functions: FunctionSpec[], name: string | undefined): Promise<FunctionSpec | undefined> {
  if (name) {
    // The same addresses as the CLI's `deploy`: name, full path (sam-hello/HelloWorldFunction), FunctionName, or a
    // logical id only one project has.
    const { functionAddressed } = await import('../runner/functions/address.ts');
    const addressed = functionAddressed(functions, name);
    if ('problem' in addressed) {
      void vscode.window.showErrorMessage(`Cannot deploy: ${addressed.problem}`);
      return undefined;
    }
    return addressed.fn;
  }
  if (!functions.length) {
    void vscode.window.showErrorMessage('No functions found: add one to template.yaml (or serverless.yml), or run "Open Runtime: New Function...".');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    // Labelled by full path, so two projects' HelloWorldFunction are told apart.
    functions.map((fn) => ({
      label: fn.path ?? fn.name,
      description: `${fn.runtime} · ${fn.architecture}`,
      detail: fn.source ? vscode.workspace.asRelativePath(fn.source.file) : undefined,
      fn,
    })),
    { title: 'Build and deploy which function?', matchOnDescription: true, matchOnDetail: true },
  );
  return picked?.fn;
}

async function pickArchitecture(fn: FunctionSpec): Promise<'arm64' | 'x86_64' | undefined> {
  const arches = [fn.architecture, fn.architecture === 'arm64' ? 'x86_64' : 'arm64'] as const;
  const picked = await vscode.window.showQuickPick(
    arches.map((arch, i) => ({ label: arch, description: i === 0 ? "the function's architecture" : undefined, arch })),
    { title: `Build ${fn.name} for which architecture?` },
  );
  return picked?.arch;
}

async function pickTarget(): Promise<'aws' | 'local' | undefined> {
  const picked = await vscode.window.showQuickPick(
    [
      {
        label: 'AWS Lambda',
        detail: 'Credentials and region from your AWS profile (openRuntime.deploy.profile / region, or the default chain)',
        target: 'aws' as const,
      },
      { label: 'Local runner', detail: "This workspace's runner: its Lambda control plane on 127.0.0.1, then invoke it here", target: 'local' as const },
    ],
    { title: 'Deploy where?' },
  );
  return picked?.target;
}
