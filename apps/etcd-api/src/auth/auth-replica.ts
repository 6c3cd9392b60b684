// The frontend's replica of the node's auth state (docs/ARCHITECTURE.md
// §5g): the backend publishes the whole state after every durable auth
// change; the replica also asks for it at start, on demand (before an Auth
// RPC answers, after a failed password check) and every refresh interval,
// so a lost publish heals. Permission checks read it without a round trip.
import { authStateOfMessage, emptyAuthState } from '@eckd/auth';
import type { AuthState } from '@eckd/auth';
import { authCodecs, validated, validators } from '@eckd/change-codec';
import type { AuthState as AuthStateMessage, NodeSubjects } from '@eckd/change-codec';
import { retry } from '@eckd/service-kit';
import type { Logger, Messenger } from '@eckd/service-kit';
import { EtcdRpcError } from '../to-grpc-error.js';

export interface AuthReplicaOptions {
  messenger: Messenger;
  subjects: Pick<NodeSubjects, 'auth' | 'authState'>;
  requestTimeoutMs: number;
  /** ECKD_AUTH_REFRESH_INTERVAL_MS */
  refreshIntervalMs: number;
  log: Logger;
}

export class AuthReplica {
  #state: AuthState = emptyAuthState();
  #tokenKey: Buffer = Buffer.alloc(0);
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(private readonly opts: AuthReplicaOptions) {}

  get state(): AuthState {
    return this.#state;
  }

  /** The node's simple-token key (empty until the first state arrives). */
  get tokenKey(): Buffer {
    return this.#tokenKey;
  }

  async start(): Promise<void> {
    const sub = this.opts.messenger.subscribe(this.opts.subjects.auth, (msg) => {
      try {
        this.#take(validated(authCodecs.authState.decode(msg.data), validators.authState));
      } catch (err) {
        this.opts.log.warn('bad auth state dropped', { err });
      }
    });
    this.#unsubscribe = () => sub.unsubscribe();
    // Nothing may be served before the auth state is known (it may say auth is on): wait for the backend as long as it takes.
    await retry(() => this.refresh(), {
      attemptsMax: Infinity,
      delayInitialMs: 250,
      delayMaxMs: 2_000,
      onRetry: (err, attempt) => this.opts.log.warn('auth state not received yet, retrying', { attempt, err }),
    });
    this.#timer = setInterval(() => void this.refresh().catch((err: unknown) => this.opts.log.warn('auth state refresh failed', { err })), this.opts.refreshIntervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#unsubscribe?.();
  }

  /** Asks the backend for its auth state and takes it. */
  async refresh(): Promise<void> {
    let reply: AuthStateMessage;
    try {
      const msg = await this.opts.messenger.request(this.opts.subjects.authState, authCodecs.authStateRequest.encode({}), { timeoutMs: this.opts.requestTimeoutMs });
      reply = validated(authCodecs.authState.decode(msg.data), validators.authState);
    } catch (err) {
      throw new EtcdRpcError('Timeout', `backend auth state: ${(err as Error).message}`);
    }
    if (reply.error) throw new EtcdRpcError(reply.error.name, reply.error.message);
    this.#take(reply);
  }

  /** Waits until the replica holds auth revision `revision` (after this frontend's own change). */
  async reach(revision: number): Promise<void> {
    if (this.#state.revision < revision) await this.refresh();
  }

  #take(message: AuthStateMessage): void {
    const { state, tokenKey } = authStateOfMessage(message);
    // A new token key is a restarted backend: its state is the truth even at an equal revision.
    if (state.revision < this.#state.revision && tokenKey.equals(this.#tokenKey)) return;
    this.#state = state;
    this.#tokenKey = tokenKey;
  }
}
