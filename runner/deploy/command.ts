// `open-runtime deploy <function> --target aws|local ...`: the CLI verb behind "Build and Deploy Function...".
// Logs go to stderr. With --json-lines, stdout carries one JSON object per line: {"progress":{step,message,cancellable}}
// while it runs, then {"result":{...}} or {"error":{message,changedRemote}}: what the editor reads. SIGTERM or
// SIGINT cancels up to the first call that changes Lambda.
import { parseArgs } from 'node:util';
import { functionAddressed } from '../functions/address.ts';
import { Architecture } from '../functions/model.ts';
import type { LoadWorkspace } from '../build/command.ts';
import { DeployError, deployFunction, type DeployResult } from './deploy-function.ts';

export const DEPLOY_USAGE = `  open-runtime deploy <function> [--target aws|local] [--arch arm64|x86_64] [--endpoint-url URL] [--region R]
      [--profile P] [--role ARN] [--alias NAME] [--function-name NAME] [--zip FILE] [--without-middlewares] [--json-lines]
      [--template <path>] [--workspace <dir>]
      Build, check and deploy a function to AWS Lambda (default) or to a runner's local control plane
      (--target local --endpoint-url http://127.0.0.1:PORT); publishes a version and optionally points an alias at it.
      A function with middlewares ships them: the Open Runtime layer (the Runtime API proxy and the middlewares) is
      published as open-runtime-<name> (an unchanged version is reused) and attached, and the runtime starts through it.
      --without-middlewares deploys the handler alone. Component (.wasm) middlewares are refused (the layer can't run them).`;

export async function deployCommand(args: string[], loadWorkspace: LoadWorkspace): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        target: { type: 'string' },
        arch: { type: 'string', short: 'a' },
        'endpoint-url': { type: 'string' },
        region: { type: 'string' },
        profile: { type: 'string' },
        role: { type: 'string' },
        alias: { type: 'string' },
        'function-name': { type: 'string' },
        zip: { type: 'string' },
        'without-middlewares': { type: 'boolean' },
        'json-lines': { type: 'boolean' },
        template: { type: 'string', short: 't' },
        workspace: { type: 'string', short: 'w' },
      },
    });
  } catch (err) {
    return usage((err as Error).message);
  }
  const { values, positionals } = parsed;
  const json = values['json-lines'] === true;
  const target = values.target ?? 'aws';
  if (target !== 'aws' && target !== 'local') return usage(`Unknown target "${target}": use aws or local.`);
  if (values.arch && !Architecture.safeParse(values.arch).success) return usage(`Unknown architecture "${values.arch}": use arm64 or x86_64.`);
  const address = positionals[0];
  if (!address || positionals.length > 1) return usage('Which function? open-runtime deploy <function> (one at a time).');
  const { functions } = await loadWorkspace(values);
  // The addresses invoke and start take (name, full path, FunctionName, logical id), with their sentences.
  const addressed = functionAddressed(functions, address);
  if ('problem' in addressed) return usage(addressed.problem);
  const { fn } = addressed;

  const emit = (line: unknown) => {
    if (json) process.stdout.write(`${JSON.stringify(line)}\n`);
  };
  const abort = new AbortController();
  const cancel = () => abort.abort();
  process.once('SIGINT', cancel);
  process.once('SIGTERM', cancel);
  try {
    const result: DeployResult = await deployFunction(fn, {
      target,
      architecture: values.arch as Architecture | undefined,
      endpointUrl: values['endpoint-url'],
      region: values.region,
      profile: values.profile,
      role: values.role,
      alias: values.alias,
      functionName: values['function-name'],
      zipPath: values.zip,
      withoutMiddlewares: values['without-middlewares'] === true,
      workspace: values.workspace,
      log: (line) => process.stderr.write(`${line}\n`),
      progress: (step, message, cancellable) => emit({ progress: { step, message, cancellable } }),
      signal: abort.signal,
    });
    if (json) emit({ result });
    else {
      const layer = result.middlewareLayer;
      const chain = layer ? `Middlewares ${layer.middlewares.join(', ')} in layer ${layer.arn}${layer.reused ? ' (unchanged, reused)' : ''}\n` : '';
      process.stdout.write(
        `${result.functionName} version ${result.version}${result.alias ? ` (alias ${result.alias})` : ''}: ${result.versionArn}\n${chain}Invoke it: ${result.invokeCommand}\n`,
      );
    }
    return 0;
  } catch (err) {
    const message = err instanceof DeployError ? err.message : `The deploy failed unexpectedly: ${(err as Error).stack ?? String(err)}`;
    emit({ error: { message, changedRemote: err instanceof DeployError ? err.changedRemote : true } });
    process.stderr.write(`open-runtime deploy: ${message}\n`);
    return abort.signal.aborted ? 130 : 1;
  } finally {
    process.off('SIGINT', cancel);
    process.off('SIGTERM', cancel);
  }
}

function usage(message: string): number {
  process.stderr.write(`open-runtime deploy: ${message}\n\nUsage:\n${DEPLOY_USAGE}\n`);
  return 2;
}
