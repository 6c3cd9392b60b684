// The backend's side of etcd's auth (docs/ARCHITECTURE.md §5g): the auth
// state is changed by proposals in the apply loop (batch.ts); this module
// hands it to the frontends, published after every durable change and
// answered on request, with the node's simple-token key.
import { randomBytes } from 'node:crypto';
import { authStateMessage } from '@eckd/auth';
import type { AuthState } from '@eckd/auth';
import { authCodecs, unknownWireError } from '@eckd/change-codec';
import type { NodeSubjects } from '@eckd/change-codec';
import type { Logger, Message, Messenger } from '@eckd/service-kit';

/** Bytes of the HMAC key simple tokens are signed with. */
const tokenKeyBytes = 32;

export class AuthPublisher {
  /** Drawn at every start: a restarted node forgets its simple tokens, as etcd does. */
  readonly #tokenKey = randomBytes(tokenKeyBytes);

  constructor(
    private readonly messenger: Messenger,
    private readonly subjects: Pick<NodeSubjects, 'auth' | 'authState'>,
    private readonly auth: () => AuthState,
    private readonly log: Logger,
  ) {}

  /** Publishes the current auth state to every frontend of the node. */
  publish(): void {
    this.messenger.publish(this.subjects.auth, this.#encoded());
  }

  /** Answers an AuthStateRequest (the request carries nothing, so it is not decoded). */
  handle(msg: Message): void {
    try {
      msg.respond(this.#encoded());
    } catch (err) {
      this.log.warn('auth state request failed', { err });
      msg.respond(authCodecs.authState.encode({ enabled: false, revision: 0, users: [], roles: [], token_key: Buffer.alloc(0), token_epoch: 0, error: unknownWireError(err) }));
    }
  }

  #encoded(): Uint8Array {
    return authCodecs.authState.encode(authStateMessage(this.auth(), this.#tokenKey));
  }
}
