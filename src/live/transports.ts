/**
 * Byte outputs for live viewers: an HTTP response (chunked) or a WebSocket
 * (binary messages). Writes never block: the socket buffers, and the viewer
 * reads `bufferedBytes()` to decide when to skip frames or give up on a
 * client (see viewer.ts). Nothing here queues beyond what the socket holds.
 */
import type { ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';

/** WebSocket readyState OPEN (the WHATWG API's value); `ws` is only a type import here. */
const WS_OPEN = 1;

/** One unit the format produced (an FLV tag, an fMP4 fragment): parts written in order, not copied. */
export type Unit = Buffer[];

export interface ByteOutput {
  /** Hands one unit to the socket; over WebSocket it is one binary message. */
  write(unit: Unit): void;
  /** Bytes accepted but not yet handed to the kernel (HTTP writableLength, WS bufferedAmount). */
  bufferedBytes(): number;
  /**
   * The codec MIME string of what follows (fMP4). HTTP: an `X-Codecs` header
   * while headers can still change; WebSocket: a text message.
   */
  announce(mime: string): void;
  /** Closes at once and drops whatever is buffered (a stuck client, shutdown, an error). */
  destroy(reason: string): void;
  /** Called once when the connection is gone, whoever closed it. */
  onClose(fn: () => void): void;
}

/** A hijacked fastify reply's raw response; the caller has set status and headers (not yet sent). */
export function httpOutput(res: ServerResponse): ByteOutput {
  // A client that resets the connection makes the socket emit errors; 'close' follows and detaches the viewer.
  res.on('error', () => {});
  return {
    write(unit) {
      if (res.destroyed || res.writableEnded) return;
      // corked, the parts of a unit leave in one writev (each is still its own HTTP chunk)
      res.cork();
      for (const part of unit) if (part.length > 0) res.write(part);
      res.uncork();
    },
    bufferedBytes: () => res.writableLength,
    announce(mime) {
      if (!res.headersSent) res.setHeader('x-codecs', mime);
    },
    destroy() {
      res.destroy();
    },
    onClose(fn) {
      res.once('close', fn);
    },
  };
}

export function wsOutput(ws: WebSocket): ByteOutput {
  ws.on('error', () => {});
  return {
    write(unit) {
      if (ws.readyState !== WS_OPEN) return;
      // one message in several WebSocket frames (RFC 6455 5.4): no copy of the payloads
      const last = unit.length - 1;
      unit.forEach((part, i) => ws.send(part, { binary: true, fin: i === last }));
    },
    bufferedBytes: () => ws.bufferedAmount,
    announce(mime) {
      if (ws.readyState === WS_OPEN) ws.send(mime, { binary: false });
    },
    destroy() {
      // close() would queue a close frame behind the buffered data a stuck client never reads
      ws.terminate();
    },
    onClose(fn) {
      ws.once('close', fn);
    },
  };
}
