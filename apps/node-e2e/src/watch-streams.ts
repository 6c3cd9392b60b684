// Helpers of the watch specs. Raw Watch streams through the etcd3 client's
// gRPC WatchClient (so requests go out exactly as written): a recorder keeps
// every response of one stream with its arrival time, and can wait for a
// condition on what arrived.
import type { Duplex as NodeDuplex } from 'node:stream';
import type { Etcd3, IEvent, IWatchCreateRequest, IWatchRequest, IWatchResponse } from 'etcd3';

export const watchCreatedTimeoutMs = 5_000;

export interface Arrival {
  response: IWatchResponse;
  /** performance.now() when it arrived */
  at: number;
}

// etcd3 types the call narrowly; at run time it is a grpc-js ClientDuplexStream (a Node Duplex).
type Duplex = Awaited<ReturnType<Etcd3['watchClient']['watch']>> & Pick<NodeDuplex, 'pause' | 'resume' | 'removeAllListeners'>;

/** One Watch stream and everything it received. */
export class StreamRecorder {
  readonly arrivals: Arrival[] = [];
  /** event responses per watch id, in arrival order (a cheap index for waits on many watches) */
  readonly eventArrivals = new Map<string, Arrival[]>();
  error: Error | undefined;
  ended = false;
  readonly #stream: Duplex;
  readonly #waiters = new Set<() => void>();

  private constructor(stream: Duplex) {
    this.#stream = stream;
    stream.on('data', (response: IWatchResponse) => {
      const arrival = { response, at: performance.now() };
      this.arrivals.push(arrival);
      if (response.events.length > 0) {
        const list = this.eventArrivals.get(response.watch_id) ?? [];
        list.push(arrival);
        this.eventArrivals.set(response.watch_id, list);
      }
      this.#wakeAll();
    });
    stream.on('error', (err: Error) => {
      this.error = err;
      this.#wakeAll();
    });
    stream.on('end', () => {
      this.ended = true;
      this.#wakeAll();
    });
  }

  static async open(client: Etcd3): Promise<StreamRecorder> {
    return new StreamRecorder((await client.watchClient.watch()) as Duplex);
  }

  send(req: IWatchRequest): void {
    this.#stream.write(req);
  }

  /** Sends a create request and resolves with its created response's watch id. */
  async create(req: IWatchCreateRequest): Promise<string> {
    const seen = this.arrivals.length;
    this.send({ create_request: req });
    const createdAt = await this.waitFor((a) => a.slice(seen).some((x) => x.response.created), watchCreatedTimeoutMs, 'created');
    const created = createdAt.slice(seen).find((x) => x.response.created)!.response;
    if (created.canceled) throw new Error(`watch create refused: ${created.cancel_reason}`);
    return created.watch_id;
  }

  /** Resolves once `check(arrivals)` holds; rejects after `timeoutMs` or on a stream error. */
  waitFor(check: (arrivals: readonly Arrival[]) => boolean, timeoutMs: number, what: string): Promise<readonly Arrival[]> {
    return new Promise((resolve, reject) => {
      const poll = () => {
        if (check(this.arrivals)) return finish(() => resolve(this.arrivals));
        if (this.error) return finish(() => reject(new Error(`watch stream failed while waiting for ${what}: ${this.error?.message}`)));
        return undefined;
      };
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.#waiters.delete(poll);
        settle();
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))), timeoutMs);
      this.#waiters.add(poll);
      poll();
    });
  }

  /** Revision of the last event received for `watchId` (0 if none). */
  lastEventRevision(watchId: string): number {
    const list = this.eventArrivals.get(watchId);
    if (!list) return 0;
    const evs = list[list.length - 1]!.response.events;
    return revisionOf(evs[evs.length - 1]!);
  }

  /** Stops reading (the client's buffers fill, then the server's). */
  pause(): void {
    this.#stream.pause();
  }

  resume(): void {
    this.#stream.resume();
  }

  close(): void {
    this.#stream.removeAllListeners('data');
    this.#stream.on('error', () => undefined);
    this.#stream.cancel();
  }

  #wakeAll(): void {
    for (const w of [...this.#waiters]) w();
  }
}

/** Event responses of one watch id (created, canceled and progress responses left out). */
export function eventResponses(arrivals: readonly Arrival[], watchId: string): Arrival[] {
  return arrivals.filter((a) => a.response.watch_id === watchId && a.response.events.length > 0);
}

/** All events of one watch id, in arrival order. */
export function eventsOf(arrivals: readonly Arrival[], watchId: string): IEvent[] {
  return eventResponses(arrivals, watchId).flatMap((a) => a.response.events);
}

// etcd3's own proto names the event types Put and Delete.
export const isDelete = (e: IEvent): boolean => String(e.type).toUpperCase() === 'DELETE';
export const revisionOf = (e: IEvent): number => Number(e.kv.mod_revision);

