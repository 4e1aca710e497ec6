import { ProtocolError } from '../../errors.js';
import { decodeAmf0, decodeAmf3CommandBody, encodeAmf0 } from '../amf0.js';
import type { OutgoingMessage } from '../chunk-writer.js';
import { MessageType, type RawMessage } from '../message-types.js';

/** Commands and their replies use chunk stream 3 (as ffmpeg, OBS and nginx-rtmp do). */
export const COMMAND_CSID = 3;

export interface Command {
  name: string;
  transactionId: number;
  /** the command object (connect's properties), usually null for stream commands */
  object: unknown;
  args: unknown[];
}

/** Decodes an AMF0 (type 20) or AMF3 (type 17) command message (spec 7.1.1, 7.2). */
export function decodeCommand(msg: RawMessage): Command {
  const values = msg.type === MessageType.CommandAmf3 ? decodeAmf3CommandBody(msg.body) : decodeAmf0(msg.body);
  const [name, transactionId, object, ...args] = values;
  if (typeof name !== 'string') throw new ProtocolError('COMMAND_INVALID', 'command message does not start with a command name string');
  return { name, transactionId: typeof transactionId === 'number' ? transactionId : 0, object: object ?? null, args };
}

/** Decodes a data message (type 18 AMF0, type 15 AMF3) into its values. */
export function decodeData(msg: RawMessage): unknown[] {
  return msg.type === MessageType.DataAmf3 ? decodeAmf3CommandBody(msg.body) : decodeAmf0(msg.body);
}

export function commandMessage(streamId: number, ...values: unknown[]): OutgoingMessage {
  return { csid: COMMAND_CSID, type: MessageType.CommandAmf0, streamId, timestamp: 0, body: encodeAmf0(...values) };
}

export function dataMessage(streamId: number, timestamp: number, ...values: unknown[]): OutgoingMessage {
  return { csid: COMMAND_CSID, type: MessageType.DataAmf0, streamId, timestamp, body: encodeAmf0(...values) };
}

export type StatusLevel = 'status' | 'error' | 'warning';

/** onStatus(level, code, description) on a message stream (spec 7.2.2). */
export function onStatus(streamId: number, level: StatusLevel, code: string, description: string): OutgoingMessage {
  return commandMessage(streamId, 'onStatus', 0, null, { level, code, description });
}

/** Reads a property of a decoded AMF object, or undefined. */
export function prop(obj: unknown, key: string): unknown {
  return obj !== null && typeof obj === 'object' ? (obj as Record<string, unknown>)[key] : undefined;
}
