import type { Page } from 'playwright-core';

export interface UiContext {
  page: Page;
  /** The workspace folder opened in the workbench (a fresh copy of examples/). */
  folder: string;
  url: string;
  /** Saves a numbered screenshot into test-results/e2e/ and returns its path. */
  screenshot(name: string): Promise<string>;
}

export interface UiTest { title: string; slug: string; run(context: UiContext): Promise<void> }

export const uiTests: UiTest[] = [
  {
    title: 'the workbench opens the examples workspace',
    slug: 'workbench',
    async run({ page, url, screenshot }) {
      await page.goto(url);
      await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      await page.locator('.explorer-folders-view').waitFor({ timeout: 60_000 });
      await screenshot('workbench');
    },
  },
];
