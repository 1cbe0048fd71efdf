// Durable executions on disk, so that they outlive the runner: one JSON file per execution under
// <workspace>/.open-runtime/durable-executions/<execution id>.json, holding its operations, its history and what it
// waits for (execution.ts's ExecutionRecord). Each change is written before the API answers it (a checkpoint the SDK
// saw acknowledged is never lost), through a temporary file and a rename, so a file is always whole. Executions that
// ended longer ago than their RetentionPeriodInDays are removed when the store opens, as Lambda forgets them.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionRecord } from './execution.ts';

const DAY_MS = 86_400_000;

export class ExecutionStore {
  readonly dir: string;

  /** `root`: the workspace's .open-runtime folder. */
  constructor(root: string) {
    this.dir = join(root, 'durable-executions');
    mkdirSync(this.dir, { recursive: true });
  }

  save(record: ExecutionRecord): void {
    const file = join(this.dir, `${record.id}.json`);
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(record));
    renameSync(temp, file);
  }

  /** Every execution kept, oldest first; unreadable files are reported through `problem` and left alone. */
  loadAll(now: number, problem: (message: string) => void): ExecutionRecord[] {
    const records: ExecutionRecord[] = [];
    for (const name of readdirSync(this.dir)) {
      const file = join(this.dir, name);
      if (name.endsWith('.tmp')) {
        rmSync(file, { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      try {
        const record = JSON.parse(readFileSync(file, 'utf8')) as ExecutionRecord;
        if (record.v !== 1 || typeof record.id !== 'string') throw new Error('not an execution record of this version');
        if (record.endTimestamp !== undefined && now - record.endTimestamp > record.retentionPeriodInDays * DAY_MS) {
          rmSync(file, { force: true });
          continue;
        }
        records.push(record);
      } catch (err) {
        problem(`Skipped the durable execution file ${file}: ${(err as Error).message}.`);
      }
    }
    return records.sort((a, b) => a.startTimestamp - b.startTimestamp);
  }
}
