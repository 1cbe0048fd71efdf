// The WASI imports one component instance gets: the function's Environment and nothing of the host's, an
// empty stdin, stdout/stderr into the invocation's log, only its preopens, outgoing HTTP to allowed hosts
// only, no sockets, and an `exit` that ends the invocation instead of the runner.
import { cli as shimCli } from '@bytecodealliance/preview2-shim';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import type { GuestSettings } from './messages.ts';
import { CapturedOutputStream, MemoryInputStream, guestHttp } from './guest-http.ts';
import { guestFilesystem, installFilesystemPolicy } from './guest-files.ts';
import { guestKeyValue } from './capabilities/guest-keyvalue.ts';
import { guestConfig } from './capabilities/guest-config.ts';
import { guestMessaging } from './capabilities/guest-messaging.ts';

/** Thrown through the guest's frames by `wasi:cli/exit`: the runner keeps running, the instance is discarded. */
export class GuestExit extends Error {
  readonly status: string;
  constructor(status: string) {
    super(`the component called exit (${status})`);
    this.status = status;
  }
}

/** Where an instance's output goes. Reused instances write to whichever invocation is running. */
export interface GuestOutput {
  write(stream: 'stdout' | 'stderr', bytes: Uint8Array): void;
  /** A line from the runner about the guest (a refused request), in the invocation's log. */
  notice(line: string): void;
  /** Milliseconds until the running invocation's deadline. */
  timeLeftMs(): number;
}

export function guestImports(settings: GuestSettings, output: GuestOutput): Record<string, unknown> {
  installFilesystemPolicy();
  const stdout = new CapturedOutputStream((bytes) => output.write('stdout', bytes));
  const stderr = new CapturedOutputStream((bytes) => output.write('stderr', bytes));
  const environment = Object.entries(settings.environment);
  const cli = {
    ...(shimCli as object),
    environment: {
      getEnvironment: () => environment,
      getArguments: () => [settings.functionName],
      // No working directory: relative paths resolve against no preopen rather than the runner's cwd.
      initialCwd: () => undefined,
    },
    exit: {
      exit(status: { tag: 'ok' | 'err' }) {
        throw new GuestExit(status?.tag === 'err' ? 'error status' : 'success status');
      },
      exitWithCode(code: number) {
        throw new GuestExit(`code ${code}`);
      },
    },
    stdin: { getStdin: () => new MemoryInputStream(new Uint8Array(0)) },
    stdout: { getStdout: () => stdout },
    stderr: { getStderr: () => stderr },
    // Not terminals: guests must not colour or prompt.
    terminalStdin: { getTerminalStdin: () => undefined },
    terminalStdout: { getTerminalStdout: () => undefined },
    terminalStderr: { getTerminalStderr: () => undefined },
  };
  const shim = new WASIShim({
    cli,
    filesystem: guestFilesystem(settings.preopens) as never,
    http: guestHttp(settings.allowedHosts, (authority) =>
      output.notice(
        `Open Runtime refused an outgoing HTTP request to ${authority}: it is not in the function's allowedHosts (${settings.allowedHosts.join(', ') || 'none'}). Add it under Metadata.OpenRuntime.component.allowedHosts to allow it.`,
      ),
    ),
    sandbox: { enableNetwork: false },
  });
  const imports = shim.getImportObject() as unknown as Record<string, unknown>;
  // Granted capabilities (template component.keyValue, config, messaging); world.ts refused the component if it
  // imports one the function was not granted.
  const { capabilities } = settings;
  // A provider call gets the invocation's time left at most (each exec provider has its own, shorter, timeoutMs).
  const callMs = () => Math.max(1, output.timeLeftMs());
  const notice = (line: string) => output.notice(line);
  if (Object.keys(capabilities.keyValue).length) Object.assign(imports, guestKeyValue(capabilities.keyValue, callMs, notice));
  if (capabilities.config) Object.assign(imports, guestConfig(capabilities.config, callMs, notice));
  if (capabilities.messaging) Object.assign(imports, guestMessaging(capabilities.messaging, callMs, notice));
  return imports;
}
