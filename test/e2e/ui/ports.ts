// Port noise in a remote editor (issue 14 item 4): code-server, like any remote VS Code, forwards every port a process
// of the window listens on. After the flow has run several functions (warm environments and all), the ports forwarded
// for Open Runtime must be the runner's own two (the Invoke API with every Runtime API, and the HTTP gateway), not one
// more per execution environment. The Ports view and the status bar count are read as the user sees them; which
// process listens on each port is read from /proc (code-server forwards a port of its own too, which is not ours).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { Page } from 'playwright-core';
import type { UiTest } from './flow.ts';

/** The `open-runtime serve` process the window started for `folder`. */
function runnerPid(folder: string): number {
  const pids = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return args.some((a) => a.endsWith('/dist/runner.js')) && args.includes('serve') && args[args.indexOf('--workspace') + 1] === folder;
      } catch {
        return false;
      }
    });
  assert.equal(pids.length, 1, `one runner serves ${folder}`);
  return Number(pids[0]);
}

/** Socket inodes a process holds. */
function socketInodes(pid: string): Set<string> {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (link.startsWith('socket:[')) inodes.add(link.slice(8, -1));
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    // another user's process, or gone
  }
  return inodes;
}

/** Listening TCP ports on this machine, each with the inode of its socket. */
function listeners(): Map<number, string> {
  const found = new Map<number, string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const row of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = row.trim().split(/\s+/);
      if (f[3] === '0A') found.set(parseInt(f[1]!.split(':').at(-1)!, 16), f[9]!);
    }
  }
  return found;
}

/** The TCP ports a process listens on. */
function listeningPorts(pid: number): number[] {
  const inodes = socketInodes(String(pid));
  return [...listeners()]
    .filter(([, inode]) => inodes.has(inode))
    .map(([port]) => port)
    .sort((a, b) => a - b);
}

/** Whether `port` is listened on by `root` or a process it started (a function, an extension). */
function listenedInTree(port: number, root: number): boolean {
  const inode = listeners().get(port);
  if (inode === undefined) return false;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    if (!socketInodes(pid).has(inode)) continue;
    for (let at = Number(pid), depth = 0; at > 1 && depth < 64; depth++) {
      if (at === root) return true;
      try {
        at = Number(
          readFileSync(`/proc/${at}/stat`, 'utf8')
            .replace(/^.*\) /s, '')
            .split(' ')[1],
        );
      } catch {
        break;
      }
    }
  }
  return false;
}

/** The number in the status bar's forwarded-ports item (absent: none forwarded). */
async function forwardedCount(page: Page): Promise<number> {
  const item = page.locator('[id="status.forwardedPorts"]');
  if ((await item.count()) === 0) return 0;
  return Number((await item.innerText()).replace(/\D+/g, '') || 0);
}

export const portsUiTest: UiTest = {
  title: "keeps code-server's forwarded ports at the runner's own two after several functions ran",
  slug: 'ports',
  async run({ page, folder, screenshot }) {
    const warm = page.locator('.statusbar-item', { hasText: /Open Runtime: \d+ warm/ });
    await warm.waitFor({ timeout: 30_000 });
    const environments = Number(/(\d+) warm/.exec(await warm.innerText())![1]);
    assert.ok(environments >= 2, `several environments are warm (${environments})`);
    const runner = runnerPid(folder);
    const runnerPorts = listeningPorts(runner);
    assert.equal(runnerPorts.length, 2, `the runner listens on its Invoke API port and its gateway port only: ${runnerPorts.join(', ')}`);
    // Auto-forwarding polls for new listeners (every few seconds): give it time to find any there are.
    await page.waitForTimeout(6000);
    const count = await forwardedCount(page);
    await page.locator('[id="status.forwardedPorts"]').click();
    const rows = page.locator('.part.panel .monaco-list-row, .part.panel .monaco-table-tr').filter({ hasText: /\d{2,5}/ });
    await rows.first().waitFor({ timeout: 10_000 });
    await screenshot('ports-after-invokes');
    const listed = [
      ...new Set(
        (await rows.allInnerTexts())
          .map((text) => /(?:^|\s)(\d{2,5})(?:\s|$)/.exec(text)?.[1])
          .filter(Boolean)
          .map(Number),
      ),
    ].sort((a, b) => a - b);
    const ours = listed.filter((port) => listenedInTree(port, runner));
    assert.deepEqual(
      ours,
      runnerPorts,
      `of the forwarded ports (${listed.join(', ')}), the runner's and its functions' are its two own, with ${environments} warm environments`,
    );
    assert.equal(count, listed.length, `the status bar counts the ${listed.length} ports the Ports view lists`);
  },
};
