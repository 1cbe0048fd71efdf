// A function's DurableConfig, read the same way from a SAM / CloudFormation template (`DurableConfig:` on the
// function) and from the control plane's CreateFunction: Lambda's limits, Lambda's words when they are broken.
//   ExecutionTimeout       seconds an execution may run, replays and waits included: 1 to 31,622,400 (366 days)
//   RetentionPeriodInDays  how long a finished execution stays listed: 1 to 90, default 14
import { z } from 'zod';

export const MAX_EXECUTION_TIMEOUT = 31_622_400;

export const DurableSettings = z.object({
  executionTimeout: z.number().int().min(1).max(MAX_EXECUTION_TIMEOUT),
  retentionPeriodInDays: z.number().int().min(1).max(90).default(14),
});
export type DurableSettings = z.infer<typeof DurableSettings>;

/** Reads `{ExecutionTimeout, RetentionPeriodInDays}`; returns the settings or the sentences saying what is wrong. */
export function readDurableConfig(value: unknown, setting = 'DurableConfig'): DurableSettings | { problems: string[] } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { problems: [`${setting} must be a mapping such as "${setting}: { ExecutionTimeout: 900 }".`] };
  }
  const raw = value as Record<string, unknown>;
  const problems: string[] = [];
  const timeout = raw.ExecutionTimeout;
  if (timeout === undefined) problems.push(`${setting} needs ExecutionTimeout: the seconds an execution may run in all (1 to ${MAX_EXECUTION_TIMEOUT}).`);
  else if (!Number.isInteger(timeout) || (timeout as number) < 1 || (timeout as number) > MAX_EXECUTION_TIMEOUT) {
    problems.push(`${setting}.ExecutionTimeout is ${JSON.stringify(timeout)}; it must be a whole number of seconds from 1 to ${MAX_EXECUTION_TIMEOUT}.`);
  }
  const retention = raw.RetentionPeriodInDays;
  if (retention !== undefined && (!Number.isInteger(retention) || (retention as number) < 1 || (retention as number) > 90)) {
    problems.push(`${setting}.RetentionPeriodInDays is ${JSON.stringify(retention)}; it must be a whole number of days from 1 to 90.`);
  }
  if (problems.length) return { problems };
  return DurableSettings.parse({ executionTimeout: timeout, ...(retention !== undefined ? { retentionPeriodInDays: retention } : {}) });
}

/** The settings as Lambda writes them in GetFunctionConfiguration and GetDurableExecution. */
export function durableConfigOut(settings: DurableSettings): { ExecutionTimeout: number; RetentionPeriodInDays: number } {
  return { ExecutionTimeout: settings.executionTimeout, RetentionPeriodInDays: settings.retentionPeriodInDays };
}
