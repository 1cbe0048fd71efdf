// The ARNs local functions and layers carry. Runner-side, apart from the Function model (./model.ts): a function
// without a region of its own is in the runner's, its AWS_REGION, which the webviews (that name the model's types
// through the protocol) must not read: they are browser code, without Node's globals.
import { deployedName, LOCAL_ACCOUNT, type FunctionSpec } from './model.ts';

/**
 * A function's ARN as Lambda writes it, in `region` (its own, see FunctionSpec.region) or the runner's AWS_REGION (or
 * us-east-1), optionally with a version or alias.
 */
export function lambdaArn(name: string, qualifier?: string, region = process.env.AWS_REGION ?? 'us-east-1'): string {
  return `arn:aws:lambda:${region}:${LOCAL_ACCOUNT}:function:${name}${qualifier ? `:${qualifier}` : ''}`;
}

/** A layer's ARN as Lambda writes it (the local control plane's layers), optionally with a version. */
export function layerArn(name: string, version?: number, region = process.env.AWS_REGION ?? 'us-east-1'): string {
  return `arn:aws:lambda:${region}:${LOCAL_ACCOUNT}:layer:${name}${version !== undefined ? `:${version}` : ''}`;
}

const arns = new WeakMap<FunctionSpec, string>();

/** A function's ARN (its deployed name) with its version, built once per function (it is on every event's headers). */
export function functionArn(fn: FunctionSpec): string {
  let arn = arns.get(fn);
  if (arn === undefined) {
    arn = lambdaArn(deployedName(fn), fn.version === '$LATEST' ? undefined : fn.version, fn.region);
    arns.set(fn, arn);
  }
  return arn;
}
