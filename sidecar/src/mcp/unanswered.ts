// Ending one cancelled request of an HTTP exchange with no response (MCP: "Receivers of a cancellation
// notification SHOULD NOT send a response for the cancelled request"), while the exchange's other requests
// (a 2025-03-26 batch) are still answered. The SDK's stateless transport closes a POST's SSE stream once every
// request it carried has its response, and a request without one would hold it open; closing the whole server
// (what a single request needs) would drop the batch's other answers. So the request leaves the transport's
// books as if answered, and the stream closes when the others are. This reads SDK internals (pinned 2.4.0;
// test/sidecar/replicas.test.ts's batch test fails if they change); where they are absent, nothing is done.

import type { Server } from '@modelcontextprotocol/server';
import type { RequestId } from './cancellation.js';

interface ProtocolInternals {
  _requestHandlerAbortControllers?: Map<RequestId, AbortController>;
}
interface TransportInternals {
  _requestToStreamMapping?: Map<RequestId, string>;
  _requestResponseMap?: Map<RequestId, unknown>;
  _streamMapping?: Map<string, { cleanup: () => void }>;
}

/** Sends nothing for request `id` of this server's exchange, and ends the exchange once the rest is answered. */
export function endWithoutAnswer(server: Server, id: RequestId): void {
  // the SDK sends no response for a request whose own signal is aborted
  (server as unknown as ProtocolInternals)._requestHandlerAbortControllers?.get(id)?.abort();
  const transport = server.transport as unknown as TransportInternals | undefined;
  const streams = transport?._requestToStreamMapping;
  const responses = transport?._requestResponseMap;
  const open = transport?._streamMapping;
  if (!streams || !responses || !open) return;
  const streamId = streams.get(id);
  if (streamId === undefined) return;
  streams.delete(id);
  const others = [...streams].filter(([, stream]) => stream === streamId).map(([other]) => other);
  if (others.every((other) => responses.has(other))) {
    open.get(streamId)?.cleanup();
    for (const other of others) {
      responses.delete(other);
      streams.delete(other);
    }
  }
}
