import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { NvrError } from '../errors.js';

/** Thrown by route handlers for an answer other than 200; becomes the error JSON. */
export class HttpError extends NvrError {
  constructor(
    readonly statusCode: number,
    code: string,
    message: string,
  ) {
    super(code, message);
    this.name = 'HttpError';
  }
}

/** The body of every error answer (CONTRACT.md, "HTTP API"). */
export interface ErrorBody {
  error: { code: string; message: string };
}

const CODE_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  416: 'RANGE_NOT_SATISFIABLE',
  429: 'TOO_MANY_REQUESTS',
  431: 'HEADERS_TOO_LARGE',
  503: 'UNAVAILABLE',
};

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/**
 * Fastify's error handler. Client errors keep their message (it says what to
 * fix); server errors are logged in full and answered without internals.
 */
export function handleError(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  let status: number;
  let code: string;
  if (err instanceof HttpError) {
    status = err.statusCode;
    code = err.code;
  } else {
    const s = (err as FastifyError).statusCode;
    status = typeof s === 'number' && s >= 400 && s <= 599 ? s : 500;
    code = (err as FastifyError).validation ? 'BAD_REQUEST' : (CODE_BY_STATUS[status] ?? (status < 500 ? 'BAD_REQUEST' : 'INTERNAL'));
  }
  const retryAfter = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
  if (status === 503 && err instanceof HttpError) {
    // a deliberate refusal (a limit, a camera offline), not a failure: whoever refused has logged why
    request.log.debug({ code, url: request.url }, err.message);
    void reply.code(status).send(errorBody(code, err.message));
    return;
  }
  if (status >= 500) {
    request.log.error({ err, url: request.url }, 'request failed');
    void reply.code(status).send(errorBody(code, status === 503 ? err.message : 'internal error'));
    return;
  }
  request.log.debug({ err: err.message, code, url: request.url }, 'client error');
  void reply.code(status).send(errorBody(code, err.message));
}

export function handleNotFound(request: FastifyRequest, reply: FastifyReply): void {
  void reply.code(404).send(errorBody('NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`));
}
