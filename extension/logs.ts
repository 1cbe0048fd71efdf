// Live logs: every line a function writes (and the runtime's START / END / REPORT lines) goes to the
// "Open Runtime" output channel as the runner streams it, prefixed with the function's name so
// concurrent invocations stay readable.
import type { Ctx } from './ctx.ts';

export function streamLogsToOutput(ctx: Ctx): void {
  ctx.push(
    ctx.onRunnerEvent(({ event }) => {
      if (event.type === 'log') {
        for (const line of event.line.split(/\r?\n/)) if (line.length > 0) ctx.log(`[${event.function}] ${line}`);
      }
    }),
  );
}
