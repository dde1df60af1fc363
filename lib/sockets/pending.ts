/**
 * A stream that stands for a TCP connection still being made over every address of a hostname
 * (`connectAnyIn`), for the clients that must hand a socket over at once: `ns.tlsConnect` and
 * `ns.http2Connect` give it to `tls.connect`/`http2.connect`, which wrap such a stream as Node
 * wraps any duplex. Writes wait for the connection; once it is made, bytes flow both ways, and
 * its end, errors and close are the stream's. The attempt's error (the last address's) destroys it.
 */
import * as net from 'node:net';
import { Duplex } from 'node:stream';

import type { Where } from './common';
import type { ConnectOptions } from './connect';
import { connectAnyIn } from './fallback';

/** The socket a {@link PendingConnection} becomes, once connected. */
export class PendingConnection extends Duplex {
  #socket: net.Socket | undefined;
  #queued: { chunk: unknown; encoding: BufferEncoding; callback: (e?: Error | null) => void }[] = [];
  #ending: ((e?: Error | null) => void) | undefined;

  /** Starts the connect over every address of `options.host` from inside `where`. @internal */
  constructor(where: Where, options: ConnectOptions) {
    super({ allowHalfOpen: false });
    connectAnyIn(where, options, (err, socket) => {
      if (err || !socket) return this.destroy(err ?? new Error('no socket'));
      if (this.destroyed) return socket.destroy();
      this.#attach(socket);
    });
  }

  /** The connected socket, once there is one. */
  get socket(): net.Socket | undefined {
    return this.#socket;
  }

  /** As `net.Socket#remoteAddress`, once connected. */
  get remoteAddress(): string | undefined {
    return this.#socket?.remoteAddress;
  }

  /** As `net.Socket#remotePort`, once connected. */
  get remotePort(): number | undefined {
    return this.#socket?.remotePort;
  }

  #attach(socket: net.Socket): void {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (e) => this.destroy(e));
    socket.on('close', () => this.destroy());
    for (const { chunk, encoding, callback } of this.#queued.splice(0)) socket.write(chunk as Buffer, encoding, callback);
    if (this.#ending) socket.end(this.#ending);
    this.emit('connect');
  }

  override _write(chunk: unknown, encoding: BufferEncoding, callback: (e?: Error | null) => void): void {
    if (this.#socket) this.#socket.write(chunk as Buffer, encoding, callback);
    else this.#queued.push({ chunk, encoding, callback });
  }

  override _final(callback: (e?: Error | null) => void): void {
    if (this.#socket) this.#socket.end(callback);
    else this.#ending = callback;
  }

  override _read(): void {
    this.#socket?.resume();
  }

  override _destroy(err: Error | null, callback: (e?: Error | null) => void): void {
    this.#socket?.destroy();
    callback(err);
  }
}
