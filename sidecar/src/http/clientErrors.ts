// Requests Node's HTTP parser refuses before Koa sees them (a byte not allowed in a header, such as DEL in
// `Authorization: Bearer \x7f`; a malformed header line; headers over Node's limit): Node's own answer is a
// bare 400 with an empty body. Every answer of this server is JSON, so these get a JSON-RPC error too.

import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../log.js';

/** The status Node's parser error means for the client (RFC 9110/6585). */
function statusOf(code: string | undefined): [number, string] {
  if (code === 'HPE_HEADER_OVERFLOW') return [431, 'Request Header Fields Too Large'];
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return [408, 'Request Timeout'];
  return [400, 'Bad Request'];
}

/** Answers `server`'s unparsable requests with a JSON-RPC error body (and logs them), then closes the socket. */
export function answerClientErrors(server: Server, log: Logger): void {
  server.on('clientError', (err: Error & { code?: string }, socket: Socket) => {
    // the client went away, or a response is already on its way on this socket: nothing can be said
    const inProgress = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
    if (err.code === 'ECONNRESET' || !socket.writable || inProgress) {
      socket.destroy();
      return;
    }
    const [status, reason] = statusOf(err.code);
    log.info('unparsable HTTP request', { status, code: err.code });
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32600, message: `Bad request: the HTTP request could not be parsed (${reason}).` },
    });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  });
}
