// Messages that do not decode or fail their validator are logged, counted
// and then dropped or answered with an error by their receiver; the count
// is per process, shown on every such log line (docs/ARCHITECTURE.md §4).
import type { Logger } from './logger.js';

/** The counter's name, as a metric would carry it. */
export const badMessagesMetric = 'eckd_bad_messages_total';

let badMessagesTotal = 0;


/**
 * Decodes and validates one received message; a bad one is logged and
 * counted, and its error thrown for the receiver to drop or answer.
 */
export function decodeChecked<T>(
  msg: { readonly subject: string; readonly data: Uint8Array },
  codec: { decode(bytes: Uint8Array): T },
  validate: (message: T) => Error | undefined,
  log: Logger,
): T {
  let problem: unknown;
  try {
    const message = codec.decode(msg.data);
    problem = validate(message);
    if (problem === undefined) return message;
  } catch (err) {
    problem = err;
  }
  badMessagesTotal += 1;
  log.warn('bad message', { subject: msg.subject, bytes: msg.data.length, err: problem, [badMessagesMetric]: badMessagesTotal });
  throw problem;
}
