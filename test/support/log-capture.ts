import type { DestinationStream } from 'pino';

export type LogLine = Record<string, unknown>;

/**
 * What an application logs, kept in memory: give it to startTestApp as the log output. pino writes each
 * line with one synchronous `write`, the bytes that would otherwise go to stdout.
 *
 * nestjs-pino builds its logger once per process (per test file under Jest), from the first application's
 * settings: Nest's own lines of every later application in the file go to the first one's output. Give
 * all the applications of a file the same capture.
 */
export class LogCapture implements DestinationStream {
  private readonly chunks: string[] = [];

  write(chunk: string): void {
    this.chunks.push(chunk);
  }

  /** Everything written so far, byte for byte. */
  get text(): string {
    return this.chunks.join('');
  }

  /** Every line, parsed: throws if one is not JSON. */
  get lines(): LogLine[] {
    return this.text
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as LogLine);
  }

  /**
   * The first line that matches, once written: a request line is written when the response has been
   * sent, which the client can see a moment before the server's hook has run.
   */
  async waitFor(matches: (line: LogLine) => boolean, timeoutMs = 5_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(matches);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no such log line within ${timeoutMs} ms; the log has:\n${this.text.slice(-4000)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** The request line of the response that carried this X-Request-Id. */
  requestLine(requestId: string | null): Promise<LogLine> {
    if (!requestId) throw new Error('the response has no X-Request-Id');
    return this.waitFor((line) => line.msg === 'request completed' && line.requestId === requestId);
  }
}
