// A function's layers where Lambda puts them: at /opt, with Lambda's paths into them (/opt/nodejs/node_modules,
// /opt/python, /opt/bin, /opt/lib ...), so code that reads `/opt/...` or a library found through those paths works.
// Published layers (ARNs) are fetched here first (functions/layer-fetch.ts): one that cannot be fetched stops the
// cold start with a Runtime.InitError saying why, rather than running the function without it.
//
// How /opt is shown without root: the runtime starts inside its own mount namespace (unshare), where the layers
// are mounted at /opt (one layer: a read-only bind mount; several: a read-only overlay, later layers over earlier
// ones as Lambda extracts them), visible to that process tree only. A normal user gets the mount namespace through
// a user namespace (`unshare -rm`), then a second user namespace maps the user back to their own uid, so the
// function never runs as (namespaced) root. Every step execs: the runtime keeps the pid the runner spawned, its
// process group, its pipes and its signals, so containment (/proc scans, group kills) sees what it saw before.
// The layers' extensions start through the same wrapper, as /opt/extensions/NAME, and see the same /opt.
// The cost is an exec of unshare, sh and mount per cold start (measured in the report of issue 12: a few ms).
//
// Where namespaces are unavailable (macOS, Windows, a kernel or container without user namespaces), or the user
// turns this off (OPEN_RUNTIME_LAYERS_AT_OPT=0), the layers stay in their folders and the same paths point into
// them, as before, with a notice once per runner.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FunctionSpec } from '../functions/model.ts';
import { runtimeFamily } from '../functions/model.ts';
import { LaunchError, type LaunchPlan } from './spawn.ts';
import { fetchLayer, LayerFetchError } from '../functions/layer-fetch.ts';
import { RUNTIME_INIT_ERROR } from '../lambda-errors.ts';

const OPT = '/opt';

/** The plan with the function's layers on Lambda's paths, at /opt when this machine can show them there. */
export async function withLayers(fn: FunctionSpec, plan: LaunchPlan): Promise<LaunchPlan> {
  const notices: string[] = [];
  const fetched = new Map<string, string>();
  for (const arn of fn.layerArns ?? []) {
    try {
      fetched.set(
        arn,
        await fetchLayer(arn, {
          region: plan.env.AWS_REGION ?? 'us-east-1',
          profile: process.env.AWS_PROFILE,
          progress: (line) => process.stderr.write(`open-runtime: ${line}\n`),
        }),
      );
    } catch (err) {
      if (err instanceof LayerFetchError) throw new LaunchError(RUNTIME_INIT_ERROR, `Function ${fn.name} cannot start: ${err.message}`);
      throw err;
    }
  }
  // In the order the template declares them (published layers among the local ones), as Lambda stacks them.
  const declared = fn.layerOrder ?? [...fn.layers, ...(fn.layerArns ?? [])];
  const layers = declared.map((layer) => fetched.get(layer) ?? layer).filter((dir) => existsSync(dir));
  let result: LaunchPlan = { ...plan, layers };
  if (layers.length) {
    const mount = await optMount(layers);
    if (mount) result = { ...result, command: mount.command, args: [...mount.args, plan.command, ...plan.args], atOpt: mount };
    else if (!warnedNoOpt) {
      warnedNoOpt = true;
      notices.push(
        `The layers of ${fn.name} are not shown at /opt: ${optUnavailable}. Code finds them through NODE_PATH, PYTHONPATH, PATH and LD_LIBRARY_PATH, but a path written as /opt/... will not exist.`,
      );
    }
    result = { ...result, env: { ...result.env, ...layerPaths(fn, mount ? [OPT] : [...layers].reverse(), !mount, result.env) } };
  }
  if (!notices.length) return result;
  const notice = notices.join(' ');
  return { ...result, notice: result.notice ? `${result.notice} ${notice}` : notice };
}

let warnedNoOpt = false;
let optUnavailable = '';

/**
 * Lambda's variables into the layers (roots: /opt, or each layer's folder with the last layer first, as the last
 * one wins in /opt). Inside /opt every documented path is set, as Lambda sets them whether or not they exist.
 */
function layerPaths(fn: FunctionSpec, roots: string[], onlyExisting: boolean, env: Record<string, string>): Record<string, string> {
  const paths = (subs: string[]) => roots.flatMap((root) => subs.map((sub) => join(root, sub))).filter((dir) => !onlyExisting || existsSync(dir));
  const join_ = (...parts: Array<string[] | string | undefined>) => parts.flat().filter(Boolean).join(':');
  const out: Record<string, string> = {
    PATH: join_(env.PATH, paths(['bin'])),
    LD_LIBRARY_PATH: join_(env.LD_LIBRARY_PATH, paths(['lib'])),
  };
  const family = runtimeFamily(fn.runtime);
  if (family === 'node') {
    const major = /^nodejs(\d+)/.exec(fn.runtime)?.[1];
    out.NODE_PATH = join_(paths([`nodejs/node${major}/node_modules`, 'nodejs/node_modules']), env.NODE_PATH);
  } else if (family === 'python') {
    const version = /^python(\d+\.\d+)/.exec(fn.runtime)?.[1];
    out.PYTHONPATH = join_(paths([`python/lib/python${version}/site-packages`, 'python']), env.PYTHONPATH);
  }
  for (const key of Object.keys(out)) if (!out[key]) delete out[key];
  return out;
}

interface Wrapper {
  command: string;
  args: string[];
}

const probes = new Map<'bind' | 'overlay', Promise<boolean>>();

/** The command that starts a runtime with `layers` at /opt, or undefined when this machine cannot. */
async function optMount(layers: string[]): Promise<Wrapper | undefined> {
  const kind = layers.length === 1 ? 'bind' : 'overlay';
  // Overlay options separate layers with ':' and options with ',': such a folder can only be bound alone.
  if (kind === 'overlay' && layers.some((dir) => /[:,]/.test(dir))) {
    optUnavailable ||= 'a layer folder has ":" or "," in its path, which an overlay mount cannot take';
    return undefined;
  }
  const tools = optTools();
  if (!tools) return undefined;
  let probe = probes.get(kind);
  if (!probe) {
    probe = probeMount(kind);
    probes.set(kind, probe);
  }
  if (!(await probe)) return undefined;
  return wrapper(kind, kind === 'bind' ? layers[0]! : [...layers].reverse().join(':'));
}

function optTools(): { unshare: string; mount: string } | undefined {
  if (process.env.OPEN_RUNTIME_LAYERS_AT_OPT === '0') {
    optUnavailable ||= 'OPEN_RUNTIME_LAYERS_AT_OPT=0 turns that off';
    return undefined;
  }
  if (process.platform !== 'linux') {
    optUnavailable ||= `${process.platform} has no mount namespaces`;
    return undefined;
  }
  if (!existsSync(OPT)) {
    optUnavailable ||= 'this machine has no /opt folder to mount them on';
    return undefined;
  }
  const find = (name: string) =>
    [...(process.env.PATH ?? '').split(':'), '/usr/bin', '/bin', '/usr/sbin', '/sbin']
      .filter(Boolean)
      .map((dir) => join(dir, name))
      .find((p) => existsSync(p));
  const unshare = find('unshare');
  const mount = find('mount');
  if (!unshare || !mount) {
    optUnavailable ||= 'unshare or mount (util-linux) is not installed';
    return undefined;
  }
  return { unshare, mount };
}

/**
 * `unshare ... sh -c SCRIPT open-runtime-opt LOWER COMMAND ARGS...`: the script mounts LOWER at /opt, then execs the
 * command. The layer folders travel as an argument, not a variable, so the function's environment stays Lambda's.
 */
function wrapper(kind: 'bind' | 'overlay', lower: string): Wrapper {
  const { unshare, mount } = optTools()!;
  const mountOpt =
    kind === 'bind' ? `${mount} --bind -- "$o" ${OPT} && ${mount} -o remount,bind,ro ${OPT}` : `${mount} -t overlay overlay -o "lowerdir=$o" ${OPT}`;
  const failed = `{ echo "open-runtime: could not mount the function's layers at ${OPT}." >&2; exit 126; }`;
  const root = process.getuid?.() === 0;
  // As root a mount namespace alone will do; a normal user gets one through a user namespace, then is mapped back.
  const run = root ? 'exec "$@"' : `exec ${unshare} --map-user=${process.getuid!()} --map-group=${process.getgid!()} -U -- "$@"`;
  const script = `o=$1; shift; { ${mountOpt}; } >/dev/null 2>&1 || ${failed}; ${run}`;
  return { command: unshare, args: [root ? '-m' : '-rm', '--', '/bin/sh', '-c', script, 'open-runtime-opt', lower] };
}

/** Whether the wrapper works here (user namespaces allowed, overlay in them), tried once per runner on empty folders. */
function probeMount(kind: 'bind' | 'overlay'): Promise<boolean> {
  const dir = mkdtempSync(join(tmpdir(), 'or-opt-probe-'));
  mkdirSync(join(dir, 'a'));
  mkdirSync(join(dir, 'b'));
  const lower = kind === 'bind' ? join(dir, 'a') : `${join(dir, 'b')}:${join(dir, 'a')}`;
  const { command, args } = wrapper(kind, lower);
  return new Promise((resolve) => {
    execFile(command, [...args, '/bin/sh', '-c', `test -d ${OPT} && test "$(id -u)" = "${process.getuid?.()}"`], { timeout: 5000 }, (err, _stdout, stderr) => {
      rmSync(dir, { recursive: true, force: true });
      if (err)
        optUnavailable ||= `this machine does not let ${process.getuid?.() === 0 ? 'root' : 'a normal user'} create a private mount namespace${kind === 'overlay' ? ' with an overlay mount' : ''} (${(stderr || err.message).trim().split('\n')[0]})`;
      resolve(!err);
    });
  });
}
