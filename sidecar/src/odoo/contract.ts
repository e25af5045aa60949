// The shapes of docs/contract.md (version 1) as the sidecar reads them, with readers that refuse anything
// that is not per the contract (so garbage from Odoo becomes a clear error, not a crash further on).

import type {
  CallToolResult,
  CompleteResult,
  GetPromptResult,
  ListResourceTemplatesResult,
  Prompt,
  ReadResourceResult,
  Resource,
  Tool,
} from '@modelcontextprotocol/server';

export type ResourceTemplateEntry = ListResourceTemplatesResult['resourceTemplates'][number];
export type ResourceContentsEntry = ReadResourceResult['contents'][number];

export const CONTRACT_VERSION = 1;

export interface Health {
  status: string;
  odooVersion: string;
  addonVersion: string;
  database: string;
  /** Where MCP clients find how to sign in with OAuth (docs/contract.md, OAuth); null when OAuth is off. */
  oauth: OAuthHint | null;
}

/** The parameters of the 401 challenge that start an MCP client's OAuth flow. */
export interface OAuthHint {
  resourceMetadata: string;
  scope: string;
}

export interface Identity {
  user: { id: number; login: string; name: string };
  database: string;
  odooVersion: string;
  key: { id: number; name: string; scope: string | null; readOnly: boolean; allowedTools: string[] | null };
  server: { name: string; instructions?: string };
  toolsFingerprint: string;
  /**
   * The calls the user may run at once at Odoo (the cap in force, contract "Calls running at once"); 0: no cap,
   * as from an addon that does not name it. The sidecar holds the user's calls beyond it (odoo/runningCalls.ts).
   */
  runningCallsPerUser: number;
  /** The fast-path token (contract "Fast path"), sent back with the same key until `tokenExpiresAt`. */
  token?: string;
  tokenExpiresAt?: number;
}

export interface ToolList {
  fingerprint: string;
  tools: Tool[];
}

export interface ToolCall {
  name: string;
  arguments: Record<string, unknown>;
  client?: { name: string; version: string };
  requestId?: string;
  /** What the request id is unique within (mcp/cancellation.ts): `cancel` names the call by both. */
  cancelScope?: string;
  protocolVersion?: string;
  /** The person's answer to a confirmation Odoo asked for (contract "Confirmations"). */
  confirmation?: ConfirmationAnswer;
  /** How the person is asked if Odoo needs their yes: 'elicitation' when this request's client asks them. */
  confirmWith?: 'elicitation';
}

/** What a retry tells Odoo: the state it issued, and what the person said. */
export interface ConfirmationAnswer {
  state: string;
  answer: 'accept' | 'decline' | 'cancel';
}

/** Odoo's "ask the person first" part of a call answer (contract "Confirmations"). */
export interface ConfirmationRequest {
  /** Opaque, signed by Odoo; relayed as the MRTR `requestState` and brought back unchanged. */
  state: string;
  /** The preview, in words a person checks. */
  message: string;
  expiresAt: string;
}

/** A call's answer: the MCP result, and when Odoo ran nothing yet, what the person must confirm. */
export type OdooCallResult = CallToolResult & { confirmation?: ConfirmationRequest };

/** Thrown by the readers; the client turns it into OdooUnavailable('bad_answer'). */
export class ContractViolation extends Error {
  override name = 'ContractViolation';
}

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(v: unknown, where: string): Obj {
  if (!isObject(v)) throw new ContractViolation(`${where} is not an object`);
  return v;
}

function str(v: unknown, where: string): string {
  if (typeof v !== 'string') throw new ContractViolation(`${where} is not a string`);
  return v;
}

function int(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ContractViolation(`${where} is not an integer`);
  return v;
}

/** Checks the envelope every contract answer carries. */
export function contractBody(v: unknown): Obj {
  const body = obj(v, 'the answer');
  if (body.contract !== CONTRACT_VERSION) {
    throw new ContractViolation(`the answer carries contract ${JSON.stringify(body.contract)}, expected ${CONTRACT_VERSION}`);
  }
  return body;
}

export function readHealth(v: unknown): Health {
  const b = contractBody(v);
  return {
    status: str(b.status, 'status'),
    odooVersion: str(b.odoo_version, 'odoo_version'),
    addonVersion: str(b.addon_version, 'addon_version'),
    database: str(b.database, 'database'),
    oauth: readOAuthHint(b.oauth),
  };
}

function readOAuthHint(v: unknown): OAuthHint | null {
  if (v === null || v === undefined) return null;
  const o = obj(v, 'oauth');
  const resourceMetadata = str(o.resource_metadata, 'oauth.resource_metadata');
  // it goes into a quoted header parameter: nothing that could end the quotes or the header
  if (!/^https?:\/\/[^\s"\\]+$/.test(resourceMetadata)) throw new ContractViolation('oauth.resource_metadata is not a URL');
  const scope = typeof o.scope === 'string' && /^[\x21\x23-\x5b\x5d-\x7e ]*$/.test(o.scope) ? o.scope : '';
  return { resourceMetadata, scope };
}

export function readIdentity(v: unknown): Identity {
  const b = contractBody(v);
  const user = obj(b.user, 'user');
  const key = obj(b.key, 'key');
  const server = isObject(b.server) ? b.server : {};
  const allowed = key.allowed_tools;
  if (allowed !== null && allowed !== undefined && !(Array.isArray(allowed) && allowed.every((t) => typeof t === 'string'))) {
    throw new ContractViolation('key.allowed_tools is neither null nor a list of names');
  }
  let tokenExpiresAt: number | undefined;
  if (typeof b.token_expires_at === 'string') {
    const t = Date.parse(b.token_expires_at);
    if (!Number.isNaN(t)) tokenExpiresAt = t;
  }
  return {
    user: { id: int(user.id, 'user.id'), login: str(user.login, 'user.login'), name: typeof user.name === 'string' ? user.name : '' },
    database: str(b.database, 'database'),
    odooVersion: typeof b.odoo_version === 'string' ? b.odoo_version : '',
    key: {
      id: int(key.id, 'key.id'),
      name: typeof key.name === 'string' ? key.name : '',
      scope: typeof key.scope === 'string' ? key.scope : null,
      readOnly: key.read_only === true,
      allowedTools: allowed ?? null,
    },
    server: {
      name: typeof server.name === 'string' && server.name ? server.name : 'Odoo MCP',
      ...(typeof server.instructions === 'string' && server.instructions ? { instructions: server.instructions } : {}),
    },
    toolsFingerprint: str(b.tools_fingerprint, 'tools_fingerprint'),
    runningCallsPerUser: readRunningCap(b.running_calls_per_user),
    ...(typeof b.token === 'string' && b.token ? { token: b.token } : {}),
    ...(tokenExpiresAt === undefined ? {} : { tokenExpiresAt }),
  };
}

/** `running_calls_per_user`: a count of calls, 0 when absent (an addon older than it: no cap known). */
function readRunningCap(v: unknown): number {
  if (v === undefined) return 0;
  const cap = int(v, 'running_calls_per_user');
  if (cap < 0) throw new ContractViolation('running_calls_per_user is negative');
  return cap;
}

const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

function readTool(v: unknown, i: number): Tool {
  const t = obj(v, `tools[${i}]`);
  const name = str(t.name, `tools[${i}].name`);
  if (!TOOL_NAME.test(name)) throw new ContractViolation(`tools[${i}].name ${JSON.stringify(name)} is not a valid tool name`);
  const input = obj(t.inputSchema, `tools[${name}].inputSchema`);
  if (input.type !== 'object') throw new ContractViolation(`tools[${name}].inputSchema has no root type "object"`);
  if (t.outputSchema !== undefined) obj(t.outputSchema, `tools[${name}].outputSchema`);
  const tool: Obj = { name, inputSchema: input };
  for (const field of ['title', 'description'] as const) if (typeof t[field] === 'string') tool[field] = t[field];
  for (const field of ['outputSchema', 'annotations', 'icons', '_meta'] as const) if (isObject(t[field])) tool[field] = t[field];
  return tool as unknown as Tool;
}

export function readToolList(v: unknown): ToolList {
  const b = contractBody(v);
  if (!Array.isArray(b.tools)) throw new ContractViolation('tools is not a list');
  const tools = b.tools.map(readTool);
  const names = new Set(tools.map((t) => t.name));
  if (names.size !== tools.length) throw new ContractViolation('tool names are not unique');
  return { fingerprint: str(b.fingerprint, 'fingerprint'), tools };
}

export function readCallResult(v: unknown): OdooCallResult {
  const b = contractBody(v);
  if (!Array.isArray(b.content)) throw new ContractViolation('content is not a list');
  b.content.forEach((c, i) => str(obj(c, `content[${i}]`).type, `content[${i}].type`));
  const result: Obj = { content: b.content, isError: b.isError === true };
  if (b.structuredContent !== undefined && b.structuredContent !== null) {
    result.structuredContent = obj(b.structuredContent, 'structuredContent');
  }
  if (b.confirmation !== undefined && b.confirmation !== null) {
    const c = obj(b.confirmation, 'confirmation');
    result.confirmation = {
      state: str(c.state, 'confirmation.state'),
      message: str(c.message, 'confirmation.message'),
      expiresAt: typeof c.expires_at === 'string' ? c.expires_at : '',
    } satisfies ConfirmationRequest;
  }
  return result as unknown as OdooCallResult;
}

/** What `cancel` answers: whether a running call of the caller's with that id was found and stopped. */
export interface CancelAnswer {
  cancelled: boolean;
}

export function readCancelAnswer(v: unknown): CancelAnswer {
  const b = contractBody(v);
  if (typeof b.cancelled !== 'boolean') throw new ContractViolation('cancelled is not a boolean');
  return { cancelled: b.cancelled };
}

export interface PromptPage {
  prompts: Prompt[];
  nextCursor?: string;
}

export interface PromptRequest {
  name: string;
  arguments: Record<string, unknown>;
  client?: { name: string; version: string };
  requestId?: string;
  protocolVersion?: string;
}

export interface CompletionRequest {
  ref: { type: string; name?: string; uri?: string };
  argument: { name: string; value: string };
  context?: { arguments?: Record<string, string> };
}

function readPrompt(v: unknown, i: number): Prompt {
  const p = obj(v, `prompts[${i}]`);
  const name = str(p.name, `prompts[${i}].name`);
  const prompt: Obj = { name };
  for (const field of ['title', 'description'] as const) if (typeof p[field] === 'string') prompt[field] = p[field];
  if (p.arguments !== undefined) {
    if (!Array.isArray(p.arguments)) throw new ContractViolation(`prompts[${name}].arguments is not a list`);
    prompt.arguments = p.arguments.map((a, j) => {
      const arg = obj(a, `prompts[${name}].arguments[${j}]`);
      return {
        name: str(arg.name, `prompts[${name}].arguments[${j}].name`),
        ...(typeof arg.description === 'string' ? { description: arg.description } : {}),
        required: arg.required === true,
      };
    });
  }
  return prompt as unknown as Prompt;
}

export function readPromptPage(v: unknown): PromptPage {
  const b = contractBody(v);
  if (!Array.isArray(b.prompts)) throw new ContractViolation('prompts is not a list');
  const prompts = b.prompts.map(readPrompt);
  if (b.nextCursor !== undefined && typeof b.nextCursor !== 'string') throw new ContractViolation('nextCursor is not a string');
  return { prompts, ...(typeof b.nextCursor === 'string' ? { nextCursor: b.nextCursor } : {}) };
}

const ROLES = new Set(['user', 'assistant']);

export function readPromptResult(v: unknown): GetPromptResult {
  const b = contractBody(v);
  if (!Array.isArray(b.messages)) throw new ContractViolation('messages is not a list');
  const messages = b.messages.map((m, i) => {
    const message = obj(m, `messages[${i}]`);
    const role = str(message.role, `messages[${i}].role`);
    if (!ROLES.has(role)) throw new ContractViolation(`messages[${i}].role ${JSON.stringify(role)} is neither user nor assistant`);
    const content = obj(message.content, `messages[${i}].content`);
    str(content.type, `messages[${i}].content.type`);
    return { role, content };
  });
  return { ...(typeof b.description === 'string' ? { description: b.description } : {}), messages } as unknown as GetPromptResult;
}

/** The most values a completion may carry (MCP: "Must not exceed 100 items"). */
export const COMPLETION_MAX_VALUES = 100;

export function readCompletion(v: unknown): CompleteResult {
  const b = contractBody(v);
  const c = obj(b.completion, 'completion');
  if (!Array.isArray(c.values) || !c.values.every((x) => typeof x === 'string')) throw new ContractViolation('completion.values is not a list of strings');
  if (c.values.length > COMPLETION_MAX_VALUES) throw new ContractViolation(`completion.values has more than ${COMPLETION_MAX_VALUES} values`);
  return {
    completion: {
      values: c.values,
      ...(typeof c.total === 'number' && Number.isInteger(c.total) ? { total: c.total } : {}),
      ...(typeof c.hasMore === 'boolean' ? { hasMore: c.hasMore } : {}),
    },
  };
}

/** The `{"error": {"code", "message"}}` of a non-2xx answer, when it has one (with 429's `retry_after`). */
export function readErrorBody(v: unknown): { code: string; message: string; retryAfter?: number } | undefined {
  if (!isObject(v) || !isObject(v.error)) return undefined;
  const { code, message, retry_after: retryAfter } = v.error;
  if (typeof code !== 'string') return undefined;
  return {
    code,
    message: typeof message === 'string' ? message : code,
    ...(typeof retryAfter === 'number' ? { retryAfter: readRetryAfter(retryAfter) } : {}),
  };
}

/** Whole seconds to wait, from 1 to the 60 s window: what Odoo sends, bounded, so no client is told to wait for ever. */
export function readRetryAfter(v: unknown): number {
  const seconds = typeof v === 'number' && Number.isFinite(v) ? Math.ceil(v) : 1;
  return Math.min(Math.max(seconds, 1), RATE_WINDOW_SECONDS);
}

/** The window Odoo's rate limits count calls in (docs/contract.md, `call`). */
export const RATE_WINDOW_SECONDS = 60;

// -- Resources (docs/contract.md, Resources) ----------------------------------------------------------------

export interface ResourceList {
  resources: Resource[];
  nextCursor?: string;
}

export interface ResourceRead {
  uri: string;
  client?: { name: string; version: string };
  requestId?: string;
  protocolVersion?: string;
}

const RESOURCE_FIELDS = ['title', 'description', 'mimeType'] as const;

function readResourceEntry(v: unknown, where: string, uriField: 'uri' | 'uriTemplate'): Obj {
  const r = obj(v, where);
  const entry: Obj = { [uriField]: str(r[uriField], `${where}.${uriField}`), name: str(r.name, `${where}.name`) };
  for (const field of RESOURCE_FIELDS) if (typeof r[field] === 'string') entry[field] = r[field];
  if (typeof r.size === 'number' && Number.isInteger(r.size) && r.size >= 0) entry.size = r.size;
  if (isObject(r.annotations)) entry.annotations = r.annotations;
  return entry;
}

export function readResourceList(v: unknown): ResourceList {
  const b = contractBody(v);
  if (!Array.isArray(b.resources)) throw new ContractViolation('resources is not a list');
  const resources = b.resources.map((r, i) => readResourceEntry(r, `resources[${i}]`, 'uri') as unknown as Resource);
  return { resources, ...(typeof b.nextCursor === 'string' && b.nextCursor ? { nextCursor: b.nextCursor } : {}) };
}

export function readResourceTemplates(v: unknown): ResourceTemplateEntry[] {
  const b = contractBody(v);
  if (!Array.isArray(b.resourceTemplates)) throw new ContractViolation('resourceTemplates is not a list');
  return b.resourceTemplates.map((t, i) => readResourceEntry(t, `resourceTemplates[${i}]`, 'uriTemplate') as unknown as ResourceTemplateEntry);
}

export function readResourceContents(v: unknown): ResourceContentsEntry[] {
  const b = contractBody(v);
  if (!Array.isArray(b.contents) || b.contents.length === 0) throw new ContractViolation('contents is not a non-empty list');
  return b.contents.map((c, i) => {
    const o = obj(c, `contents[${i}]`);
    const content: Obj = { uri: str(o.uri, `contents[${i}].uri`) };
    if (typeof o.mimeType === 'string') content.mimeType = o.mimeType;
    if (typeof o.text === 'string') content.text = o.text;
    else if (typeof o.blob === 'string') content.blob = o.blob;
    else throw new ContractViolation(`contents[${i}] has neither text nor blob`);
    return content as unknown as ResourceContentsEntry;
  });
}
