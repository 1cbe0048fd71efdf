// Line-by-line reading of a child process's output, shared by the runner and the extension.
import { createInterface } from 'node:readline';

/** Calls `onLine` for every line of `stream` (CRLF or LF), the last one included even without a newline. */
export function onLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', onLine);
}
