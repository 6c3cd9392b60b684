// Keeps this persister the node's only one (ARCHITECTURE §6a): takes the
// node lock at start, and when its connection is lost (Postgres restarted,
// a network fault) takes it again; appends and loads are refused meanwhile.
// If another persister got it, this one exits.
import { NodeLockHeldError, acquireNodeLock } from '@eckd/storage';
import type { NodeLock } from '@eckd/storage';
import type { Logger } from '@eckd/service-kit';

export interface NodeLockKeeperOptions {
  databaseUrl: string;
  nodeName: string;
  waitMs: number;
  log: Logger;
  /** another persister holds the node: stop this process */
  exit: (reason: string) => void;
}

const retakeBackoffMaxMs = 2_000;

export class NodeLockKeeper {
  #lock: NodeLock | undefined;
  #stopped = false;

  private constructor(private readonly opts: NodeLockKeeperOptions) {}

  /** Throws NodeLockHeldError when another persister holds the node past the wait. */
  static async take(opts: NodeLockKeeperOptions): Promise<NodeLockKeeper> {
    const keeper = new NodeLockKeeper(opts);
    keeper.#lock = await keeper.#acquire();
    return keeper;
  }

  get held(): boolean {
    return this.#lock !== undefined;
  }

  async release(): Promise<void> {
    this.#stopped = true;
    await this.#lock?.release();
    this.#lock = undefined;
  }

  #acquire(): Promise<NodeLock> {
    return acquireNodeLock(this.opts.databaseUrl, this.opts.nodeName, { waitMs: this.opts.waitMs, onLost: (err) => void this.#retake(err) });
  }

  async #retake(err: Error): Promise<void> {
    this.#lock = undefined;
    this.opts.log.warn('node lock connection lost: appends and loads wait until it is taken again', { err });
    for (let attempt = 1; !this.#stopped; attempt++) {
      try {
        this.#lock = await this.#acquire();
        this.opts.log.info('node lock held again', { node: this.opts.nodeName, attempts: attempt });
        return;
      } catch (retry) {
        if (retry instanceof NodeLockHeldError) {
          this.opts.log.error(retry.message.replace(/^storage: /, ''), { err: retry });
          this.opts.exit('another persister holds the node');
          return;
        }
        this.opts.log.warn('taking the node lock again failed, retrying', { attempt, err: retry });
        await new Promise((r) => setTimeout(r, Math.min(250 * attempt, retakeBackoffMaxMs)));
      }
    }
  }
}
