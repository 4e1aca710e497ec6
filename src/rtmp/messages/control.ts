import { ProtocolError } from '../../errors.js';
import type { OutgoingMessage } from '../chunk-writer.js';
import { MessageType } from '../message-types.js';

/** Protocol control messages travel on chunk stream 2, message stream 0 (spec 5.4). */
const CONTROL_CSID = 2;

function u32Message(type: number, value: number): OutgoingMessage {
  const body = Buffer.allocUnsafe(4);
  body.writeUInt32BE(value >>> 0, 0);
  return { csid: CONTROL_CSID, type, streamId: 0, timestamp: 0, body };
}

export const setChunkSize = (size: number): OutgoingMessage => u32Message(MessageType.SetChunkSize, size & 0x7fffffff);
export const windowAckSize = (size: number): OutgoingMessage => u32Message(MessageType.WindowAckSize, size);
export const acknowledgement = (sequence: number): OutgoingMessage => u32Message(MessageType.Acknowledgement, sequence);

/** Set Peer Bandwidth (spec 5.4.5); limit type 2 = dynamic. */
export function setPeerBandwidth(size: number, limitType = 2): OutgoingMessage {
  const body = Buffer.allocUnsafe(5);
  body.writeUInt32BE(size >>> 0, 0);
  body[4] = limitType;
  return { csid: CONTROL_CSID, type: MessageType.SetPeerBandwidth, streamId: 0, timestamp: 0, body };
}

/** Reads the 4-byte value of Set Chunk Size, Abort, Acknowledgement or Window Ack Size. */
export function readU32Body(body: Buffer, what: string): number {
  if (body.length < 4) throw new ProtocolError('CONTROL_TRUNCATED', `${what} message has ${body.length} bytes, needs 4`);
  return body.readUInt32BE(0);
}
