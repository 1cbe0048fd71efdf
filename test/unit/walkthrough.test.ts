// The Getting Started walkthrough (package.json contributes.walkthroughs): every step shows a file that exists and
// links to or completes on commands the extension contributes, so no step is a dead end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const contributed = new Set<string>(manifest.contributes.commands.map((c: { command: string }) => c.command));
const BUILT_IN = new Set(['workbench.action.files.openFolder']);

test('the walkthrough opens a template, invokes, debugs, shows the chain and builds for arm64', () => {
  const [walkthrough] = manifest.contributes.walkthroughs;
  assert.deepEqual(
    walkthrough.steps.map((s: { id: string }) => s.id),
    ['openTemplate', 'invoke', 'debug', 'chain', 'buildArm64'],
  );
  for (const step of walkthrough.steps) {
    assert.ok(existsSync(join(ROOT, step.media.markdown)), `${step.id}: ${step.media.markdown} exists`);
    const linked = [...step.description.matchAll(/\(command:([\w.]+)\)/g)].map((m) => m[1]);
    assert.ok(linked.length > 0, `${step.id} links to a command`);
    const completing = step.completionEvents.map((e: string) => /^onCommand:(.+)$/.exec(e)?.[1]);
    for (const command of [...linked, ...completing]) {
      assert.ok(command && (contributed.has(command) || BUILT_IN.has(command)), `${step.id}: ${command} is a command the extension contributes`);
    }
  }
});

test("each setting says what it does, as the Marketplace page's table does", () => {
  const page = readFileSync(join(ROOT, 'MARKETPLACE.md'), 'utf8');
  for (const [key, setting] of Object.entries<{ description?: string; markdownDescription?: string }>(manifest.contributes.configuration.properties)) {
    assert.ok((setting.description ?? setting.markdownDescription ?? '').length > 20, `${key} has a description`);
    assert.ok(page.includes(`\`${key}\``), `MARKETPLACE.md documents ${key}`);
  }
});
