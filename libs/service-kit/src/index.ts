export { createLogger } from './logger.js';
export type { Logger, LogLevel } from './logger.js';
export { ConfigError, envString, envInt, checkInt, parseFlags, readServiceBaseConfig, redactUrl } from './config.js';
export type { ServiceBaseConfig } from './config.js';
export { connectNats, maxPayloadBytes, toHeaders } from './nats.js';
export type { NatsConnection } from './nats.js';
export { InboxMessenger, NatsMessenger, MessengerTimeoutError } from './messenger.js';
export type { Message, MessageHandler, Messenger, PublishOptions } from './messenger.js';
export { MemoryMessenger, MemoryNetwork } from './memory-messenger.js';
export type { Envelope, EnvelopeMatch, HeldEnvelope } from './memory-messenger.js';
export {
  FragmentAssembler,
  defaultFragmentLimits,
  fragmentHeader,
  fragmentSender,
  formatFragment,
  parseFragment,
  readFragmentLimits,
  splitPayload,
} from './fragments.js';
export type { FragmentDropReason, FragmentInfo, FragmentLimits } from './fragments.js';
export { installShutdown } from './shutdown.js';
export type { Shutdown } from './shutdown.js';
