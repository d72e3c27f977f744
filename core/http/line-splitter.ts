/** Splits streamed bytes into lines (UTF-8), with a bound on line length, for scanners that never hold a body. */

/** Longest line parsed; longer lines are skipped (a batch request line is at most a few MiB). */
const MAX_LINE = 8 * 1024 * 1024;

/** Calls `line` for every complete line of the bytes pushed (decoded as UTF-8). */
export class LineSplitter {
  #partial = '';
  #skipping = false;
  #decoder = new TextDecoder();
  constructor(private readonly line: (text: string) => void) {}

  push(bytes: Uint8Array): void {
    const text = this.#decoder.decode(bytes, { stream: true });
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const piece = text.slice(start, nl);
      start = nl + 1;
      if (this.#skipping) {
        this.#skipping = false;
        this.#partial = '';
        continue;
      }
      this.line(this.#partial + piece);
      this.#partial = '';
    }
    if (this.#skipping) return;
    this.#partial += text.slice(start);
    if (this.#partial.length > MAX_LINE) {
      this.#partial = '';
      this.#skipping = true;
    }
  }

  end(): void {
    if (!this.#skipping && this.#partial) this.line(this.#partial);
    this.#partial = '';
  }
}
