// Where the time of one click goes (starting the runner, finding the function, the event picker, the runner's
// answer, the result view drawing it), written as one "Timing" line to the output channel when the extension runs
// under development or test, so the E2E run can print the breakdown and a slow click can be explained.
export class ClickTimer {
  private readonly startedAt = performance.now();
  private last = this.startedAt;
  private readonly parts: Array<[string, number]> = [];

  /** Ends the part named `part` (the time since the previous mark). */
  mark(part: string): void {
    const now = performance.now();
    this.parts.push([part, now - this.last]);
    this.last = now;
  }

  /** `picker 812 ms · invoke 40 ms · total 852 ms · from 1796266364982` (when the click began, epoch ms: the E2E lines it up with page stamps). */
  describe(): string {
    const ms = (n: number) => `${Math.round(n)} ms`;
    return [
      ...this.parts.map(([part, n]) => `${part} ${ms(n)}`),
      `total ${ms(this.last - this.startedAt)}`,
      `from ${Math.round(performance.timeOrigin + this.startedAt)}`,
    ].join(' · ');
  }
}
