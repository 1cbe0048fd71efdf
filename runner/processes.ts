// Linux's view of a process, from /proc: its /proc/<pid>/stat fields and the children the kernel lists per thread.
// Both the Runtime API's access check (runtime-api/access.ts: is this client one of the environment's processes?)
// and containment (environments/containment.ts: which processes are the environment's, and their memory) read them.
import { readdirSync, readFileSync } from 'node:fs';

/** The fields of /proc/<pid>/stat that Open Runtime uses; undefined once the process is gone. */
export interface ProcessStat {
  pid: number;
  /** R, S, D, Z (zombie), X (dead), ... */
  state: string;
  ppid: number;
  pgrp: number;
  /** Clock ticks after boot when it started: with the pid, names one process even after its pid is reused. */
  startTime: number;
}

export function readStat(pid: number): ProcessStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // pid (comm) state ppid pgrp ... starttime (field 22): comm may hold spaces and parentheses, so read after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { pid, state: fields[0]!, ppid: Number(fields[1]), pgrp: Number(fields[2]), startTime: Number(fields[19]) };
}

/** Children of every thread of `pid` (/proc/PID/task/TID/children: a child belongs to the thread that forked it). */
export function childrenOf(pid: number): number[] {
  const children: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return children; // gone
  }
  for (const tid of tasks) {
    try {
      for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1').split(' ')) if (child) children.push(Number(child));
    } catch {
      // The thread ended, or a kernel without CONFIG_PROC_CHILDREN.
    }
  }
  return children;
}
