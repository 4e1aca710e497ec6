/**
 * Errors with a stable code. Protocol errors close one connection and are
 * logged with their code; they never escape a connection's handler.
 */
export class NvrError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'NvrError';
  }
}

/** Structural damage in bytes a peer sent (RTMP, AMF, FLV, codec config). */
export class ProtocolError extends NvrError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = 'ProtocolError';
  }
}
