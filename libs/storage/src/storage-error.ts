export class StorageError extends Error {
  override name = 'StorageError';
}

/** An append from a backend whose fencing epoch is no longer the current one: another backend took over. */
export class FencedAppendError extends StorageError {
  override name = 'FencedAppendError';
}

/** An append whose revisions are already stored with other events: two writers numbered revisions. */
export class ConflictingAppendError extends StorageError {
  override name = 'ConflictingAppendError';
}

/** An append whose predecessor in its backend's append chain is not stored (ARCHITECTURE §2): retried once it is. */
export class OutOfOrderAppendError extends StorageError {
  override name = 'OutOfOrderAppendError';
}
