// A raw keep-alive HTTP/1.1 connection for tests that compare answers byte for byte (the runner's plain paths against
// node:http's): requests are written as they are given, pipelined or not, and answers are read whole as they come.
import { connect, type Socket } from 'node:net';

/** A keep-alive connection that reads whole answers (Content-Length framed) as they come. */
export class RawConnection {
  private readonly socket: Socket;
  private data = Buffer.alloc(0);
  private waiting: (() => void) | undefined;
  closed = false;
  constructor(port: number) {
    this.socket = connect({ host: '127.0.0.1', port });
    this.socket.on('data', (chunk: Buffer) => {
      this.data = Buffer.concat([this.data, chunk]);
      this.waiting?.();
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.waiting?.();
    });
  }
  send(bytes: string): void {
    this.socket.write(bytes);
  }
  /**
   * The next `count` answers, each as its text (head and body); without a Content-Length an answer has no body, nor has
   * a 204's whatever its Content-Length, nor any to a HEAD (`heads`).
   */
  async answers(count: number, heads = false): Promise<string[]> {
    const out: string[] = [];
    while (out.length < count) {
      const end = this.data.indexOf('\r\n\r\n');
      const head = end < 0 ? '' : this.data.toString('latin1', 0, end);
      const length = end < 0 ? undefined : heads || / 204 /.test(head.split('\r\n')[0]!) ? 0 : Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
      if (length !== undefined && this.data.length >= end + 4 + length) {
        const size = end + 4 + length;
        out.push(this.data.toString('utf8', 0, size));
        this.data = this.data.subarray(size);
        continue;
      }
      if (this.closed) throw new Error(`The connection closed after ${out.length} of ${count} answers.`);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`No answer within 20 s; so far: ${this.data.toString('latin1')}`)), 20_000);
        this.waiting = () => {
          clearTimeout(timer);
          this.waiting = undefined;
          resolve();
        };
      });
    }
    return out;
  }
  close(): void {
    this.socket.destroy();
  }
}
