// Bounded capture of a child's output lines, with waiters for a line that
// matches a predicate. Absolute line numbers (`count`) survive eviction, so a
// caller can wait only for lines written after a given point.

export const linesKeptMax = 5000;
export const lineCharsMax = 8192;
const outputTailLines = 200;

type LinePredicate = (line: string) => boolean;

interface Waiter {
  pred: LinePredicate;
  resolve: (line: string) => void;
  reject: (err: Error) => void;
}

export class LineBuffer {
  readonly lines: string[] = [];
  /** Number of lines ever pushed, including evicted ones. */
  count = 0;
  private readonly waiters = new Set<Waiter>();

  push(raw: string): void {
    const line = raw.length > lineCharsMax ? `${raw.slice(0, lineCharsMax)}…` : raw;
    this.lines.push(line);
    this.count++;
    if (this.lines.length > linesKeptMax) this.lines.shift();
    for (const w of [...this.waiters]) {
      if (safeMatch(w.pred, line)) {
        this.waiters.delete(w);
        w.resolve(line);
      }
    }
  }

  /** The first retained line numbered `since` or later that matches, if any. */
  find(pred: LinePredicate, since: number): string | undefined {
    const first = this.count - this.lines.length;
    return this.lines.slice(Math.max(0, since - first)).find((l) => safeMatch(pred, l));
  }

  /** Resolves with the next pushed line that matches; `cancel` withdraws it. */
  next(pred: LinePredicate): { promise: Promise<string>; cancel: (err: Error) => void } {
    let waiter!: Waiter;
    const promise = new Promise<string>((resolve, reject) => {
      waiter = { pred, resolve, reject };
    });
    this.waiters.add(waiter);
    const cancel = (err: Error) => {
      if (this.waiters.delete(waiter)) waiter.reject(err);
    };
    return { promise, cancel };
  }

  /** The last lines, for error messages. */
  tail(n = outputTailLines): string {
    return this.lines.slice(-n).join('\n');
  }
}

// A throwing predicate is a test bug, but it must not break output capture.
function safeMatch(pred: LinePredicate, line: string): boolean {
  try {
    return pred(line);
  } catch {
    return false;
  }
}

/** Splits a stream of chunks into lines, holding back a trailing partial line. */
export function lineSplitter(onLine: (line: string) => void): { write: (chunk: string) => void; end: () => void } {
  let pending = '';
  return {
    write(chunk) {
      pending += chunk;
      const parts = pending.split(/\r?\n/);
      pending = parts.pop() ?? '';
      for (const p of parts) onLine(p);
      if (pending.length > lineCharsMax) {
        onLine(pending);
        pending = '';
      }
    },
    end() {
      if (pending) onLine(pending);
      pending = '';
    },
  };
}
