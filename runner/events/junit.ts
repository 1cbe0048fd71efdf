// JUnit XML for `open-runtime test --junit FILE`, the report format CI systems read (Jenkins' JUnit plugin, GitHub
// Actions test reporters, GitLab): one <testsuite> per function, one <testcase> per saved event, a <failure> with the
// diff when the check failed, an <error> when the test could not run, the function's log in <system-out>, and times in
// seconds. Logs can hold anything a function prints (ANSI colours, NUL): characters XML 1.0 forbids are replaced.
import path from 'node:path';
import type { EventTestResult } from './event-tests.ts';

export interface JUnitOptions {
  /** Paths in `file` attributes are relative to this folder (the workspace), as CI annotations expect. */
  workspaceDir: string;
  /** When the run started (the report's timestamp). */
  startedAt: Date;
  hostname?: string;
}

export function junitXml(results: readonly EventTestResult[], options: JUnitOptions): string {
  const suites = new Map<string, EventTestResult[]>();
  for (const r of results) suites.set(r.function, [...(suites.get(r.function) ?? []), r]);
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const count = (list: readonly EventTestResult[], status: EventTestResult['status']) => list.filter((r) => r.status === status).length;
  const total = (list: readonly EventTestResult[]) => list.reduce((sum, r) => sum + r.durationMs, 0);
  const timestamp = options.startedAt.toISOString().replace(/\.\d{3}Z$/, '');
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="open-runtime test" tests="${results.length}" failures="${count(results, 'failed')}" errors="${count(results, 'error')}" skipped="0" time="${seconds(total(results))}" timestamp="${timestamp}">`,
  ];
  let id = 0;
  for (const [fn, list] of suites) {
    lines.push(
      `  <testsuite id="${id++}" name="${attr(fn)}" package="open-runtime" tests="${list.length}" failures="${count(list, 'failed')}" errors="${count(list, 'error')}" skipped="0" time="${seconds(total(list))}" timestamp="${timestamp}"${options.hostname ? ` hostname="${attr(options.hostname)}"` : ''}>`,
    );
    for (const r of list) {
      const file = path.relative(options.workspaceDir, r.file).split(path.sep).join('/');
      const open = `    <testcase name="${attr(r.event)}" classname="${attr(fn)}" file="${attr(file)}" time="${seconds(r.durationMs)}"`;
      const body: string[] = [];
      if (r.status === 'failed') {
        const details = [...(r.verdict?.problems ?? [r.message]), ...(r.verdict?.diff ? ['', r.verdict.diff] : [])].join('\n');
        body.push(`      <failure message="${attr(r.message)}" type="ExpectationFailed">${text(details)}</failure>`);
      } else if (r.status === 'error') {
        body.push(`      <error message="${attr(r.message)}" type="TestError">${text(r.message)}</error>`);
      }
      if (r.logs) body.push(`      <system-out>${text(r.logs)}</system-out>`);
      lines.push(body.length ? `${open}>\n${body.join('\n')}\n    </testcase>` : `${open}/>`);
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}

// XML 1.0 allows tab, newline, carriage return and most of Unicode; escape codes, NUL and lone surrogates are not XML.
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function clean(value: string): string {
  return value.replace(NOT_XML, '\uFFFD');
}

function text(value: string): string {
  return clean(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attr(value: string): string {
  return text(value).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}
