import { ProtocolError } from '../../errors.js';
import type { OutgoingMessage } from '../chunk-writer.js';
import { MessageType } from '../message-types.js';

/** User Control event types (spec 7.1.7). */
export const UserControlEvent = {
  StreamBegin: 0,
  StreamEOF: 1,
  StreamDry: 2,
  SetBufferLength: 3,
  StreamIsRecorded: 4,
  PingRequest: 6,
  PingResponse: 7,
} as const;

export interface UserControl {
  event: number;
  /** stream id or timestamp, depending on the event */
  value: number;
  /** buffer length in ms for SetBufferLength */
  value2?: number;
}

export function userControl(event: number, value: number, value2?: number): OutgoingMessage {
  const body = Buffer.allocUnsafe(value2 === undefined ? 6 : 10);
  body.writeUInt16BE(event, 0);
  body.writeUInt32BE(value >>> 0, 2);
  if (value2 !== undefined) body.writeUInt32BE(value2 >>> 0, 6);
  return { csid: 2, type: MessageType.UserControl, streamId: 0, timestamp: 0, body };
}

export function readUserControl(body: Buffer): UserControl {
  if (body.length < 6) throw new ProtocolError('CONTROL_TRUNCATED', `User Control message has ${body.length} bytes, needs 6`);
  const event = body.readUInt16BE(0);
  const value = body.readUInt32BE(2);
  return body.length >= 10 ? { event, value, value2: body.readUInt32BE(6) } : { event, value };
}
