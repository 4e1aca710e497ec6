import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { Logger } from 'pino';

export interface TlsAcceptOptions {
  context: SecureContext;
  /** the TLS handshake must complete within this */
  timeoutMs: number;
  log: Logger;
  /** called once with the decrypted socket when the handshake is done */
  onSecure(socket: TLSSocket): void;
}

/**
 * Runs the server side of a TLS handshake on an accepted TCP socket (RTMPS).
 * A peer that fails it (plain RTMP or HTTP on the TLS port, garbage, an old
 * protocol version, no shared cipher) or stalls is logged once and dropped;
 * nothing it sends reaches the RTMP layer.
 */
export function startTls(raw: Socket, opts: TlsAcceptOptions): void {
  const socket = new TLSSocket(raw, { isServer: true, secureContext: opts.context });
  let secure = false;
  let failed = false;
  const fail = (why: string, fields: Record<string, unknown> = {}) => {
    if (secure || failed) return;
    failed = true;
    clearTimeout(timer);
    opts.log.warn(fields, `RTMPS connection dropped: ${why}`);
    socket.destroy();
  };
  const timer = setTimeout(() => fail(`TLS handshake not completed within ${opts.timeoutMs} ms`, { limit: 'handshakeTimeoutMs' }), opts.timeoutMs);
  // Once secure, the RTMP connection owns the socket's errors.
  // OpenSSL errors carry a short `reason` ("wrong version number": plain RTMP or HTTP on this port)
  socket.on('error', (err: NodeJS.ErrnoException & { reason?: string }) => fail(`TLS handshake failed: ${err.reason ?? firstLine(err.message)}`, { code: err.code }));
  socket.once('close', () => {
    clearTimeout(timer);
    if (!secure && !failed) opts.log.debug('RTMPS peer closed before the TLS handshake completed');
  });
  // 'secure' is what tls.Server itself listens for on the sockets it wraps.
  socket.once('secure', () => {
    if (socket.destroyed) return;
    secure = true;
    clearTimeout(timer);
    opts.log.debug({ protocol: socket.getProtocol(), cipher: socket.getCipher()?.name }, 'TLS handshake done');
    opts.onSecure(socket);
  });
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.slice(0, 200);
}
