// Shared by the deploy tests (deploy, deploy-middlewares): deployFunction's AWS target pointed at a real runner's
// local control plane, reading test credentials from the standard chain (the environment, no profile files), and
// the runner started on the template whose functions the tests deploy.
import { join } from 'node:path';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { loadFunctionsFrom } from '../../../runner/functions/discover.ts';
import type { FunctionSpec } from '../../../runner/functions/model.ts';
import { startRunner, type Runner } from './runner.ts';

/** Test keys in this process's environment for the AWS target's credential chain, and no profile files (`workspace` has none). */
export function useTestCredentials(workspace: string): void {
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    AWS_CONFIG_FILE: join(workspace, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(workspace, 'no-credentials'),
  });
  delete process.env.AWS_PROFILE;
}

/** The functions `template` defines, and a runner on it whose control plane they are deployed to. */
export async function startDeployTarget(template: string): Promise<{ runner: Runner; functions: FunctionSpec[] }> {
  const functions = (await loadFunctionsFrom(template)).functions;
  return { functions, runner: await startRunner(template) };
}

/** An SDK client for `runner`'s control plane, retries off (the caller destroys it). */
export function controlPlaneClient(runner: Runner): LambdaClient {
  return new LambdaClient({ endpoint: runner.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
}
