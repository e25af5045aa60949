// One HTTP exchange with Odoo, on Node's own HTTP client. Measured on the tools/call path, it costs about
// 1 ms less per request than `fetch` (undici and web streams), which the sidecar would otherwise add to
// every call. Odoo answers `Connection: close` in threaded mode; the agent reuses sockets where it may.

import http from 'node:http';
import https from 'node:https';

export interface Exchange {
  status: number;
  text: string;
}

/** The answer was over the byte limit: reading stopped there and the connection was dropped. */
export class AnswerOverLimit extends Error {
  override name = 'AnswerOverLimit';
  constructor(readonly status: number, readonly limit: number) {
    super(`answer over ${limit} bytes (HTTP ${status})`);
  }
}

const agents = {
  'http:': new http.Agent({ keepAlive: true }),
  'https:': new https.Agent({ keepAlive: true }),
};

/**
 * Sends one request and reads the whole answer, up to `maxAnswerBytes`; rejects on network errors, `signal`,
 * or an answer over the limit (AnswerOverLimit: refused on its Content-Length, or cut off while it streams in).
 */
export function exchange(
  url: URL,
  method: 'GET' | 'POST',
  headers: Record<string, string>,
  body: string | undefined,
  signal: AbortSignal,
  maxAnswerBytes: number,
): Promise<Exchange> {
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    signal.throwIfAborted();
    // The signal is watched only while the exchange runs: the SDK aborts every request's signal once the
    // request is answered, and an exchange still subscribed would then be torn down with an AbortError
    // (and its stack trace) after the fact — measurable on every call.
    const onAbort = () => request.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    const settle = <T>(finish: (value: T) => void) => (value: T) => {
      signal.removeEventListener('abort', onAbort);
      finish(value);
    };
    const done = settle(resolve);
    const fail = settle(reject);
    // Node's client never follows redirects, so the key cannot be sent on to another host.
    const request = transport.request(url, { method, headers, agent: agents[url.protocol as 'http:' | 'https:'] }, (response) => {
      // Destroying the request closes the socket (it never goes back to the agent's pool): Odoo stops
      // sending, and nothing more is read or kept.
      const refuse = () => request.destroy(new AnswerOverLimit(response.statusCode ?? 0, maxAnswerBytes));
      if (Number(response.headers['content-length']) > maxAnswerBytes) return refuse();
      let chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= maxAnswerBytes) return void chunks.push(chunk);
        chunks = [];
        refuse();
      });
      response.on('end', () => done({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', fail);
    });
    request.on('error', fail);
    signal.addEventListener('abort', onAbort, { once: true });
    if (body !== undefined) request.setHeader('Content-Length', Buffer.byteLength(body));
    request.end(body);
  });
}
