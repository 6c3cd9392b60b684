export { createLogger } from './logger.js';
export type { Logger, LogLevel } from './logger.js';
export { ConfigError, envString, envInt, checkInt, parseFlags, readServiceBaseConfig } from './config.js';
export type { ServiceBaseConfig } from './config.js';
export { connectNats, maxPayloadBytes, toHeaders, headerGetter, requestChunks, replyChunks, ChunkedRequestError } from './nats.js';
export type { Msg, NatsConnection } from './nats.js';
export { installShutdown } from './shutdown.js';
export type { Shutdown } from './shutdown.js';
