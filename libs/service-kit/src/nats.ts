// The NATS connection of a service, and headers from a plain record.
import { connect } from '@nats-io/transport-node';
import { headers as natsHeaders } from '@nats-io/nats-core';
import type { MsgHdrs, NatsConnection } from '@nats-io/nats-core';
import { defaultInboxPrefix } from './config.js';
import type { NatsSettings } from './config.js';
import type { Logger } from './logger.js';

export type { NatsConnection };

const inboxPrefixes = new WeakMap<NatsConnection, string>();

/** The prefix of the reply subjects this connection may subscribe to. */
export function inboxPrefixOf(nc: NatsConnection): string {
  return inboxPrefixes.get(nc) ?? defaultInboxPrefix;
}

/** Connects and keeps reconnecting forever; status changes are logged. */
export async function connectNats(settings: NatsSettings, name: string, log: Logger): Promise<NatsConnection> {
  const nc = await connect({
    ...settings.connectOptions(),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    pingInterval: 10_000,
  });
  inboxPrefixes.set(nc, settings.inboxPrefix);
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect' || s.type === 'error') log.warn('nats status', { type: s.type });
    }
  })();
  return nc;
}

export function toHeaders(record: Record<string, string>): MsgHdrs | undefined {
  const keys = Object.keys(record);
  if (keys.length === 0) return undefined;
  const h = natsHeaders();
  for (const k of keys) h.set(k, record[k] as string);
  return h;
}
