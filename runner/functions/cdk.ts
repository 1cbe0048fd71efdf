// Functions from a CDK app's cloud assembly (cdk.out), as `cdk synth` leaves it: manifest.json names each
// stack's template; the templates are ordinary CloudFormation read by template.ts, where code comes from each
// function's `aws:asset:path`, nested stacks from theirs, and each function's address from `aws:cdk:path`
// (`OrdersStack/Hello`, as SAM names CDK functions). Stages (nested cloud assemblies) are read the same way.
// A function's local name is its stack's name and its logical id (`OrdersStack-Hello4A628BD4`), as deployed names
// begin: two stacks of one app often hold the same construct, so the logical id alone is not unique.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DefinitionError } from '../protocol.ts';
import { asRecord } from './intrinsics.ts';
import type { Definitions } from './read-yaml.ts';
import { parseTemplate, type TemplateOptions } from './template.ts';

export const CDK_MANIFEST = 'manifest.json';

/**
 * The functions of every stack in a cloud assembly folder (or only of the stack whose template is `onlyTemplate`);
 * `files` are the templates read.
 */
export async function loadCloudAssembly(
  dir: string,
  options: TemplateOptions = {},
  onlyTemplate?: string,
  depth = 0,
): Promise<Definitions & { files: string[] }> {
  const manifestFile = join(dir, CDK_MANIFEST);
  const result: Definitions & { files: string[] } = { functions: [], errors: [], skipped: [], files: [manifestFile] };
  const fail = (message: string) => ({ ...result, errors: [{ file: manifestFile, line: 0, message } satisfies DefinitionError] });
  let manifest: Record<string, unknown>;
  try {
    manifest = asRecord(JSON.parse(await readFile(manifestFile, 'utf8')));
  } catch (error) {
    return fail(`Could not read the CDK cloud assembly ${manifestFile}: ${(error as Error).message}. Run "cdk synth" again to rewrite it.`);
  }
  for (const [id, raw] of Object.entries(asRecord(manifest.artifacts))) {
    const artifact = asRecord(raw);
    const properties = asRecord(artifact.properties);
    if (artifact.type === 'cdk:cloud-assembly' && typeof properties.directoryName === 'string' && depth < 5) {
      // A Stage: its stacks live in their own assembly folder.
      const stage = await loadCloudAssembly(join(dir, properties.directoryName), options, onlyTemplate, depth + 1);
      result.functions.push(...stage.functions);
      result.errors.push(...stage.errors);
      result.skipped!.push(...(stage.skipped ?? []));
      if (stage.albActions?.length) (result.albActions ??= []).push(...stage.albActions);
      result.files.push(...stage.files.slice(1));
      continue;
    }
    if (artifact.type !== 'aws:cloudformation:stack' || typeof properties.templateFile !== 'string') continue;
    const file = join(dir, properties.templateFile);
    if (onlyTemplate && file !== onlyTemplate) continue;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      result.errors.push({
        file: manifestFile,
        line: 0,
        message: `Stack "${id}" names the template ${file}, which could not be read (${(error as Error).message}). Run "cdk synth" again.`,
      });
      continue;
    }
    result.files.push(file);
    const stackName = typeof properties.stackName === 'string' ? properties.stackName : id;
    const stack = parseTemplate(text, file, { ...options, stackName, stackPath: [stackName] });
    result.functions.push(...stack.functions);
    result.errors.push(...stack.errors);
    result.skipped!.push(...(stack.skipped ?? []));
    if (stack.albActions?.length) (result.albActions ??= []).push(...stack.albActions);
    result.files.push(...(stack.included ?? []));
  }
  return result;
}

/** Whether a template file is one of the stacks of the cloud assembly it sits in (`cdk.out/OrdersStack.template.json`). */
export async function isAssemblyStack(file: string): Promise<boolean> {
  try {
    const manifest = asRecord(JSON.parse(await readFile(join(dirname(file), CDK_MANIFEST), 'utf8')));
    return Object.values(asRecord(manifest.artifacts)).some((a) => join(dirname(file), String(asRecord(asRecord(a).properties).templateFile)) === file);
  } catch {
    return false;
  }
}
