// Confirmations (docs/contract.md, "Confirmations"): Odoo decides that a call needs the person's yes and
// issues the signed state; this module only carries the question to the person the way the client can take it,
// and brings the answer back. It keeps nothing between requests: the state travels through the client, so
// any sidecar replica can handle the retry.
//
// - A 2026-07-28 client that declares form elicitation gets `input_required` (MRTR): an elicitation request
//   whose message is Odoo's preview, and Odoo's state as `requestState`. Its retry carries both back.
// - Every other client (2025-era ones included, with or without elicitation) gets Odoo's answer as a plain
//   tool result: the preview and a `confirmation_token` the model passes back in a second call. A 2025-era
//   `elicitation/create` would be answered by the client in a separate POST, which a stateless server (any
//   replica, no session) cannot route back to the call waiting for it; the SDK's legacy shim refuses it for
//   that reason ("per-request legacy serving cannot receive server-to-client requests").

import {
  CLIENT_CAPABILITIES_META_KEY,
  inputRequired,
  inputResponse,
  type CallToolResult,
  type ClientCapabilities,
  type InputRequiredResult,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { ConfirmationAnswer, OdooCallResult } from '../odoo/contract.js';

/** The key of the elicitation in `inputRequests` / `inputResponses`. */
export const CONFIRM_INPUT = 'confirm';

/** The form the person answers: one yes/no field. */
export const CONFIRM_SCHEMA = {
  type: 'object',
  properties: {
    confirm: { type: 'boolean', title: 'Go ahead', description: 'Yes runs it as described; no does nothing.', default: false },
  },
  required: ['confirm'],
} as const;

function capabilitiesOf(ctx: ServerContext): ClientCapabilities | undefined {
  const envelope = (ctx.mcpReq.envelope ?? {}) as Record<string, unknown>;
  return envelope[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined;
}

/** Whether this request can carry an MRTR form elicitation: a 2026-07-28 request whose client declared it. */
export function canAskInBand(ctx: ServerContext): boolean {
  const elicitation = capabilitiesOf(ctx)?.elicitation as { form?: unknown; url?: unknown } | undefined;
  if (!elicitation || typeof elicitation !== 'object') return false;
  // `elicitation: {}` means form mode (the 2025-06-18 meaning, kept); a client may declare url mode only
  return elicitation.form !== undefined || elicitation.url === undefined;
}

/**
 * The person's answer an MRTR retry carries: Odoo's state (`requestState`) and the elicitation result.
 * Only these, which the client sets: never the tool arguments (the model's), so a `confirmation_token` there
 * never becomes the person's answer.
 * Undefined when the retry has no state or no answer to our question: the call then goes to Odoo as a first
 * call, which asks again (the spec's "request the missing information again").
 */
export function answerOf(ctx: ServerContext): ConfirmationAnswer | undefined {
  const state = ctx.mcpReq.requestState<unknown>();
  if (typeof state !== 'string' || !state) return undefined;
  const response = inputResponse(ctx.mcpReq.inputResponses, CONFIRM_INPUT);
  if (response.kind !== 'elicit') return undefined;
  if (response.action !== 'accept') return { state, answer: response.action };
  // accepting the form with "no" is a no
  return { state, answer: response.content?.[CONFIRM_INPUT] === true ? 'accept' : 'decline' };
}

/**
 * What the client gets when Odoo asks for a confirmation: the MRTR question, or Odoo's own answer (preview
 * and token) as a tool result. Undefined when Odoo ran the call (no confirmation asked).
 */
export function questionFor(result: OdooCallResult, ctx: ServerContext): CallToolResult | InputRequiredResult | undefined {
  const { confirmation, ...toolResult } = result;
  if (!confirmation) return undefined;
  if (!canAskInBand(ctx)) return toolResult;
  return inputRequired({
    inputRequests: {
      [CONFIRM_INPUT]: inputRequired.elicit({
        mode: 'form',
        message: `${confirmation.message}\n\nNothing is done unless you say yes.`,
        requestedSchema: CONFIRM_SCHEMA as unknown as Parameters<typeof inputRequired.elicit>[0]['requestedSchema'],
      }),
    },
    requestState: confirmation.state,
  });
}
