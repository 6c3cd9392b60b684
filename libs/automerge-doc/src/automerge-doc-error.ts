/** The one error this library throws; `cause` keeps Automerge's own error when there is one. */
export class AutomergeDocError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`automerge-doc: ${message}`, options);
    this.name = 'AutomergeDocError';
  }
}
