// Cuts a byte stream into text lines, keeping a partial last line until the
// rest arrives, so that each line of a child's output is prefixed exactly once.
import { StringDecoder } from 'node:string_decoder';

/** Longest partial line kept before it is flushed as a line of its own. */
export const pendingLineCharsMax = 64 * 1024;

export interface LineSplitter {
  push(chunk: Buffer | string): void;
  /** Emits what is left of a last line without a newline. */
  end(): void;
}

export function createLineSplitter(onLine: (line: string) => void): LineSplitter {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  const take = (text: string): void => {
    pending += text;
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      onLine(pending.slice(0, newline).replace(/\r$/, ''));
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
    if (pending.length > pendingLineCharsMax) {
      onLine(pending);
      pending = '';
    }
  };
  return {
    push: (chunk) => take(typeof chunk === 'string' ? chunk : decoder.write(chunk)),
    end: () => {
      take(decoder.end());
      if (pending !== '') onLine(pending);
      pending = '';
    },
  };
}
