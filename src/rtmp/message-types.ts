/** RTMP message type ids (RTMP 1.0 spec sections 5.4, 6.2, 7.1). */
export const MessageType = {
  SetChunkSize: 1,
  Abort: 2,
  Acknowledgement: 3,
  UserControl: 4,
  WindowAckSize: 5,
  SetPeerBandwidth: 6,
  Audio: 8,
  Video: 9,
  DataAmf3: 15,
  SharedObjectAmf3: 16,
  CommandAmf3: 17,
  DataAmf0: 18,
  SharedObjectAmf0: 19,
  CommandAmf0: 20,
  Aggregate: 22,
} as const;

/** A complete message as the chunk layer reassembles it. */
export interface RawMessage {
  /** chunk stream id it arrived on */
  csid: number;
  type: number;
  /** message stream id */
  streamId: number;
  /** 32-bit timestamp (ms) as accumulated from the chunk headers; wraps at 2^32 */
  timestamp: number;
  body: Buffer;
}
