// Probes that show whether NATS traffic flows between two servers of a
// cluster: a subscriber on one, a publisher on the other.
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { randomHex } from './free-port.js';
import { sleep, waitUntil } from './wait.js';

// How long a publisher keeps publishing while a subscriber must hear nothing.
export const natsSilenceMsDefault = 750;
export const natsDeliveryTimeoutMsDefault = 10_000;
const publishIntervalMs = 50;

interface Listener {
  subject: string;
  /** Payloads heard so far, in arrival order. */
  heard: string[];
  sub: Subscription;
}

/** Subscribes `to` to a fresh subject, flushed so the server knows of it. */
async function listen(to: NatsConnection): Promise<Listener> {
  const subject = `probe.${randomHex(4)}`;
  const sub = to.subscribe(subject);
  await to.flush();
  const heard: string[] = [];
  void (async () => {
    for await (const m of sub) heard.push(m.string());
  })();
  return { subject, heard, sub };
}

/** Publishes `payload` from `from` until the listener has heard it; rejects after `timeoutMs`. */
function publishUntilHeard(from: NatsConnection, listener: Listener, payload: string, timeoutMs: number): Promise<void> {
  return waitUntil(
    async () => {
      from.publish(listener.subject, payload);
      await from.flush();
      await sleep(publishIntervalMs);
      return listener.heard.includes(payload);
    },
    timeoutMs,
    `delivery of ${payload} on ${listener.subject}`,
  );
}

/** Subscribes on `to`, then publishes from `from` until a message arrives; false if none within the timeout. */
export async function natsDelivers(from: NatsConnection, to: NatsConnection, timeoutMs = natsDeliveryTimeoutMsDefault): Promise<boolean> {
  const listener = await listen(to);
  try {
    return await publishUntilHeard(from, listener, 'from', timeoutMs).then(
      () => true,
      () => false,
    );
  } finally {
    listener.sub.unsubscribe();
  }
}

/**
 * True if `to` hears nothing from `from` while `via` (a server linked to
 * both) demonstrably reaches `to` on the same subject, i.e. the subscription
 * is known in the cluster and only the direct route is missing.
 */
export async function natsSilentWhileReachableVia(
  from: NatsConnection,
  via: NatsConnection,
  to: NatsConnection,
  silenceMs = natsSilenceMsDefault,
): Promise<boolean> {
  const listener = await listen(to);
  try {
    await publishUntilHeard(via, listener, 'via', natsDeliveryTimeoutMsDefault);
    const deadline = Date.now() + silenceMs;
    while (Date.now() < deadline) {
      from.publish(listener.subject, 'from');
      await from.flush();
      await sleep(publishIntervalMs);
    }
    return !listener.heard.includes('from');
  } finally {
    listener.sub.unsubscribe();
  }
}
