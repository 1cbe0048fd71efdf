// The environment variables Lambda sets itself and refuses in a function's configuration. CreateFunction and
// UpdateFunctionConfiguration fail with InvalidParameterValueException when Environment.Variables names one, so a
// template that sets AWS_REGION would run locally and then fail to deploy; every place that takes a function's
// variables (template.yaml, serverless.yml, the local control plane, deploy) refuses them with this one list.
//
// Source: the Lambda Developer Guide, "Defined runtime environment variables" (configuration-envvars.html#
// configuration-envvars-runtime): "The keys for these environment variables are reserved and cannot be set in your
// function configuration." TZ, which older versions of that page listed, is now among the unreserved ones.
export const RESERVED_VARIABLES: readonly string[] = [
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
];

const RESERVED = new Set(RESERVED_VARIABLES);

/** One of Lambda's own variables, which a function's configuration cannot set (the launch keeps Lambda's value). */
export function isReservedVariable(name: string): boolean {
  return RESERVED.has(name);
}

/** The reserved names among `names`, in their order. */
export function reservedVariablesIn(names: Iterable<string>): string[] {
  return [...names].filter((name) => RESERVED.has(name));
}

/** Lambda's own message for CreateFunction / UpdateFunctionConfiguration with reserved keys. */
export function reservedVariablesMessage(reserved: string[]): string {
  return `Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(', ')}`;
}
