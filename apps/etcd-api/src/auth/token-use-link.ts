// Shares the simple tokens this frontend accepted with the node's other
// frontends (TokenUses on auth.token-uses.v1, docs/ARCHITECTURE.md §5g), so
// a token used on one frontend lives on every one TTL after that use, as an
// etcd member extends a token at each use. Sent once per interval (etcd
// checks its tokens' deadlines once a second), each use once; forgotten
// uses are pruned on the same tick.
import { authCodecs, messageLimits, validators } from '@eckd/change-codec';
import type { NodeSubjects } from '@eckd/change-codec';
import { decodeChecked } from '@eckd/service-kit';
import type { Logger, Messenger } from '@eckd/service-kit';
import type { TokenUseLog } from './token-uses.js';

export function startTokenUseLink(opts: {
  messenger: Messenger;
  subjects: Pick<NodeSubjects, 'tokenUses'>;
  frontendId: string;
  uses: TokenUseLog;
  /** ECKD_AUTH_TOKEN_USES_INTERVAL_MS */
  intervalMs: number;
  log: Logger;
  now?: () => number;
}): () => void {
  const { messenger, subjects, frontendId, uses, log } = opts;
  const now = opts.now ?? Date.now;
  const subscription = messenger.subscribe(subjects.tokenUses, (msg) => {
    let message;
    try {
      message = decodeChecked(msg, authCodecs.tokenUses, validators.tokenUses, log);
    } catch {
      return; // logged and counted by decodeChecked
    }
    if (message.frontend_id !== frontendId) uses.heard(message.token_ids, now());
  });
  const timer = setInterval(() => {
    const ids = uses.takeUnsent();
    for (let at = 0; at < ids.length; at += messageLimits.tokenIdsMax) {
      messenger.publish(subjects.tokenUses, authCodecs.tokenUses.encode({ frontend_id: frontendId, token_ids: ids.slice(at, at + messageLimits.tokenIdsMax) }));
    }
    uses.prune(now());
  }, opts.intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    subscription.unsubscribe();
  };
}
