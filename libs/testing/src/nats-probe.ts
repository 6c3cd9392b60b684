// Probes that show whether NATS traffic flows between two servers of a
// cluster: a subscriber on one, a publisher on the other.
import type { NatsConnection } from '@nats-io/transport-node';
import { randomHex } from './free-port.js';
import { sleep, waitUntil } from './wait.js';

// How long a publisher keeps publishing while a subscriber must hear nothing.
export const natsSilenceMsDefault = 750;
export const natsDeliveryTimeoutMsDefault = 10_000;

/** Subscribes on `to`, then publishes from `from` until a message arrives; false if none within the timeout. */
export async function natsDelivers(from: NatsConnection, to: NatsConnection, timeoutMs = natsDeliveryTimeoutMsDefault): Promise<boolean> {
  const subject = `probe.${randomHex(4)}`;
  const sub = to.subscribe(subject);
  await to.flush();
  let got = 0;
  void (async () => {
    for await (const _ of sub) got++;
  })();
  try {
    await waitUntil(
      async () => {
        from.publish(subject, 'x');
        await from.flush();
        await sleep(50);
        return got > 0;
      },
      timeoutMs,
      `delivery on ${subject}`,
    ).catch(() => undefined);
    return got > 0;
  } finally {
    sub.unsubscribe();
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
  const subject = `probe.${randomHex(4)}`;
  const sub = to.subscribe(subject);
  await to.flush();
  const senders: string[] = [];
  void (async () => {
    for await (const m of sub) senders.push(m.string());
  })();
  try {
    await waitUntil(
      async () => {
        via.publish(subject, 'via');
        await via.flush();
        await sleep(50);
        return senders.includes('via');
      },
      natsDeliveryTimeoutMsDefault,
      'delivery through the middle server',
    );
    const deadline = Date.now() + silenceMs;
    while (Date.now() < deadline) {
      from.publish(subject, 'from');
      await from.flush();
      await sleep(50);
    }
    return !senders.includes('from');
  } finally {
    sub.unsubscribe();
  }
}
