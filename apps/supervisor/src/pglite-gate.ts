// Serves one PGlite database to many Postgres clients over TCP. PGlite is a
// single Postgres session, so the gate lets one client at a time use it and
// hands it over only between transactions: a client owns the session from
// its first message until the server says ReadyForQuery with status idle
// ('I'). Whole transactions (and whole extended-protocol cycles, Parse to
// Sync) therefore run one after another, never interleaved; the result is
// serial execution, which is what PGlite can offer to several processes.
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import type { Logger } from './log.js';
import { errorFields } from './log.js';
import type { FrontendMessage, TransactionStatus } from './pg-wire.js';
import {
  BackendScanner,
  FrontendFramer,
  closeStatementMessage,
  fatalErrorMessage,
  queryMessage,
  renameStatement,
  syncMessage,
} from './pg-wire.js';

/** The part of PGlite the gate uses. */
export interface WireDatabase {
  execProtocolRawStream(message: Uint8Array, options: { onRawData: (data: Uint8Array) => void }): Promise<void>;
  isInTransaction(): boolean;
  runExclusive<T>(fn: () => Promise<T>): Promise<T>;
}

export interface PgliteGateOptions {
  readonly db: WireDatabase;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** A client that owns the session and sends nothing for this long is disconnected. */
  readonly lockIdleTimeoutMs: number;
  readonly connectionsMax: number;
  readonly log: Logger;
}

/** Messages queued per client before the gate stops reading its socket. */
export const queuedMessagesMax = 1024;
const stopWaitMs = 10_000;

interface Connection {
  readonly id: number;
  readonly socket: Socket;
  readonly framer: FrontendFramer;
  readonly messages: FrontendMessage[];
  /** Its prepared statements, by their names on the shared session. */
  readonly statements: Set<string>;
  closed: boolean;
}

export class PgliteGate {
  readonly #options: PgliteGateOptions;
  readonly #server: Server;
  readonly #connections = new Set<Connection>();
  readonly #waiting: Connection[] = [];
  readonly #scanner = new BackendScanner();
  #owner: Connection | undefined;
  /** PGlite's reply to the first start-up, replayed to later clients (see #execute). */
  #startupReply: Uint8Array | undefined;
  #pumping = false;
  #idleTimer: NodeJS.Timeout | undefined;
  #nextId = 1;

  constructor(options: PgliteGateOptions) {
    if (!(options.lockIdleTimeoutMs > 0 && options.connectionsMax > 0)) {
      throw new RangeError('pglite-gate: lockIdleTimeoutMs and connectionsMax must be positive');
    }
    this.#options = options;
    this.#server = createServer((socket) => this.#accept(socket));
  }

  async start(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#options.port, this.#options.host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    return this.#server.address() as AddressInfo;
  }

  /** Stops accepting, disconnects every client, and rolls back what they left open. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const connection of this.#connections) connection.socket.destroy();
    const deadline = Date.now() + stopWaitMs;
    while ((this.#connections.size > 0 || this.#pumping) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    clearTimeout(this.#idleTimer);
    await closed;
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  #accept(socket: Socket): void {
    socket.setNoDelay(true);
    if (this.#connections.size >= this.#options.connectionsMax) {
      socket.end(fatalErrorMessage('53300', 'sorry, too many clients already'));
      return;
    }
    const connection: Connection = {
      id: this.#nextId++,
      socket,
      framer: new FrontendFramer(),
      messages: [],
      statements: new Set(),
      closed: false,
    };
    this.#connections.add(connection);
    socket.on('data', (chunk: Buffer) => this.#onData(connection, chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.#onClose(connection));
  }

  #onData(connection: Connection, chunk: Buffer): void {
    if (connection.closed) return;
    let messages: FrontendMessage[];
    try {
      messages = connection.framer.push(chunk);
    } catch (error) {
      this.#options.log.warn('closing a client that sent a malformed message', { client: connection.id, ...errorFields(error) });
      connection.socket.destroy();
      return;
    }
    for (const message of messages) {
      // Encryption is declined ('N'): the gate listens on a local address only.
      if (message.kind === 'ssl-request' || message.kind === 'gss-request') connection.socket.write('N');
      else if (message.kind === 'cancel-request') return void connection.socket.destroy();
      else if (message.kind === 'startup' && this.#startupReply !== undefined) connection.socket.write(this.#startupReply);
      else connection.messages.push(message);
    }
    if (connection.messages.length === 0) return;
    if (connection.messages.length > queuedMessagesMax) connection.socket.pause();
    this.#enqueue(connection);
  }

  #onClose(connection: Connection): void {
    if (!this.#connections.has(connection)) return;
    connection.closed = true;
    connection.messages.length = 0;
    if (this.#owner === connection) {
      clearTimeout(this.#idleTimer);
      this.#schedule();
    } else if (connection.statements.size > 0) {
      this.#enqueue(connection);
    } else {
      this.#forget(connection);
    }
  }

  #enqueue(connection: Connection): void {
    if (this.#owner !== connection && !this.#waiting.includes(connection)) this.#waiting.push(connection);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    void this.#pump().finally(() => {
      this.#pumping = false;
    });
  }

  /** Runs queued messages, one owner at a time, until no one has work. */
  async #pump(): Promise<void> {
    for (;;) {
      const connection = this.#owner ?? this.#waiting.shift();
      if (connection === undefined) return;
      this.#owner = connection;
      clearTimeout(this.#idleTimer);
      if (connection.closed) {
        await this.#cleanUp(connection);
        this.#release(connection);
        continue;
      }
      const message = connection.messages.shift();
      if (message === undefined) {
        // Mid-transaction: the session stays with this client until it goes on.
        this.#armIdleTimer(connection);
        return;
      }
      if (connection.messages.length <= queuedMessagesMax / 2) connection.socket.resume();
      const status = await this.#execute(connection, message);
      if (status === 'I') this.#release(connection);
    }
  }

  #release(connection: Connection): void {
    if (this.#owner !== connection) throw new Error('pglite-gate: released by a client that does not own the session');
    this.#owner = undefined;
    if (connection.messages.length > 0 && !connection.closed) this.#waiting.push(connection);
  }

  /** Sends one message to PGlite; returns the last transaction status it reported. */
  async #execute(connection: Connection, message: FrontendMessage): Promise<TransactionStatus | undefined> {
    if (message.kind === 'typed' && message.type === 'X') {
      connection.closed = true;
      connection.socket.end();
      return undefined;
    }
    const { bytes, statement } = renameStatement(message, `c${connection.id}_`);
    if (statement !== undefined && message.kind === 'typed') {
      if (message.type === 'P') connection.statements.add(statement);
      if (message.type === 'C') connection.statements.delete(statement);
    }
    const reply: Uint8Array[] = [];
    try {
      const status = await this.#run(bytes, (data) => {
        if (message.kind === 'startup') reply.push(Uint8Array.from(data));
        if (!connection.socket.destroyed) connection.socket.write(data);
      });
      // Start-up changes nothing in the one PGlite session, so its reply is
      // kept and replayed: a new connection need not wait for the session.
      if (message.kind === 'startup' && status === 'I' && !this.#scanner.sawError) this.#startupReply = Buffer.concat(reply);
      return status;
    } catch (error) {
      this.#options.log.error('PGlite failed a client message; closing that client', { client: connection.id, ...errorFields(error) });
      connection.closed = true;
      connection.socket.destroy();
      return undefined;
    }
  }

  async #run(bytes: Uint8Array, onData: (data: Uint8Array) => void): Promise<TransactionStatus | undefined> {
    this.#scanner.reset();
    await this.#options.db.runExclusive(() =>
      this.#options.db.execProtocolRawStream(bytes, {
        onRawData: (data) => {
          this.#scanner.push(data);
          onData(data);
        },
      }),
    );
    return this.#scanner.lastStatus;
  }

  /** Ends what a departed client left: a half-sent cycle, an open transaction, its statements. */
  async #cleanUp(connection: Connection): Promise<void> {
    const discard = (): void => {};
    try {
      await this.#run(syncMessage(), discard);
      if (this.#options.db.isInTransaction()) await this.#run(queryMessage('ROLLBACK'), discard);
      for (const statement of connection.statements) await this.#run(closeStatementMessage(statement), discard);
      if (connection.statements.size > 0) await this.#run(syncMessage(), discard);
    } catch (error) {
      this.#options.log.error('could not clean up after a client', { client: connection.id, ...errorFields(error) });
    }
    connection.statements.clear();
    this.#forget(connection);
  }

  #forget(connection: Connection): void {
    this.#connections.delete(connection);
    const at = this.#waiting.indexOf(connection);
    if (at !== -1) this.#waiting.splice(at, 1);
  }

  #armIdleTimer(connection: Connection): void {
    this.#idleTimer = setTimeout(() => {
      if (this.#owner !== connection || connection.messages.length > 0) return;
      this.#options.log.warn('disconnecting a client idle inside a transaction', {
        client: connection.id,
        lockIdleTimeoutMs: this.#options.lockIdleTimeoutMs,
        waitingClients: this.#waiting.length,
      });
      connection.closed = true;
      connection.socket.end(fatalErrorMessage('25P03', 'terminating connection due to idle-in-transaction timeout'));
      setTimeout(() => connection.socket.destroy(), 1000).unref();
      this.#schedule();
    }, this.#options.lockIdleTimeoutMs);
  }
}
