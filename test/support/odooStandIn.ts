// TEST CODE ONLY. A small HTTP server that implements docs/contract.md (version 1) the way the addon does,
// with a few users, keys and tools, so the sidecar can be tested end to end without Odoo. What Odoo answers
// comes from the contract's files (docs/contract/, which the addon's tests check against the real routes):
// the built-in tools' definitions (toolsnaps), the health and identity answers and the refusals (fixtures). It counts the
// calls it gets, records what the sidecar relayed, writes one audit row per authenticated call as the addon
// does (outcomes ok, tool_error, invalid, denied, rate_limited), counts calls against rate limits in a
// 60-second window as the addon does (the settings' limits, a key's own, one per user), validates arguments against the tool's inputSchema
// (the sidecar's Ajv, in the addon's words: odooArguments.ts), and notices when a relayed call is abandoned.
// It also serves the MCP conformance suite's fixture tools (test_simple_text, …) so the suite runs through
// the sidecar's real relay path, and Carol's `odoo_delete`, a tool a person confirms (contract
// "Confirmations": preview, signed single-use state bound to key, tool and arguments, outcomes).

import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { answerOf, errorMessage, fixture, resultText, toolSnapshots, type Exchange } from './contractFiles.js';
import { argumentProblem } from './odooArguments.js';

export interface StandInUser {
  id: number;
  login: string;
  name: string;
  tools: string[];
}

export interface StandInKey {
  key: string;
  id: number;
  userId: number;
  name: string;
  scope: 'mcp' | null;
  readOnly: boolean;
  allowedTools: string[] | null;
  /** The key's own rate limits (calls per minute; absent or 0: the stand-in's `rateLimits`). */
  callsPerMinute?: number;
  writesPerMinute?: number;
}

interface ToolSpec {
  definition: Record<string, unknown>;
  run: (args: Record<string, unknown>, user: StandInUser, signal: AbortSignal) => unknown;
}

/** One row of the stand-in's audit log (the addon's `llm.mcp.call`). */
export interface AuditRow {
  /** A prompts/get is audited too (the addon's `kind` "prompt"); absent: a tool call. */
  kind?: 'prompt';
  tool: string | undefined;
  outcome: 'ok' | 'tool_error' | 'invalid' | 'denied' | 'rate_limited' | 'too_many_running' | 'confirmation_requested' | 'confirmed' | 'declined' | 'expired'
    | 'cancelled';
  userId: number;
  keyId: number;
  client?: unknown;
  request_id?: unknown;
  message?: string;
}

export interface RelayedCall {
  name: string;
  arguments: unknown;
  client?: unknown;
  request_id?: unknown;
  cancel_scope?: unknown;
  protocol_version?: unknown;
  confirmation?: unknown;
  confirm_with?: unknown;
  userId: number;
}

const SCHEMA_2020 = 'https://json-schema.org/draft/2020-12/schema';
const PNG_1PX =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
const WAV_SILENCE = 'UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQAAAAA=';

class ToolFailure extends Error {}

/** The addon's built-in tools as clients get them (docs/contract/toolsnaps/): Dora lists them all. */
export const BUILTIN = toolSnapshots();

function ro(title: string) {
  return { title, readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };
}

const PARTNERS: Record<number, Array<{ id: number; name: string }>> = {
  2: [
    { id: 1, name: 'Azure Interior' },
    { id: 2, name: 'Deco Addict' },
    { id: 3, name: 'Gemini Furniture' },
  ],
  6: [{ id: 9, name: 'Bob Consulting' }],
};

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    });
  });
}

/** The conformance suite's fixture tools: name → [description, title, content blocks or the failure's message]. */
function conformanceTools(specs: Record<string, [string, string, unknown[] | string]>): Record<string, ToolSpec> {
  return Object.fromEntries(Object.entries(specs).map(([name, [what, title, answer]]) => [name, {
    definition: { name, description: `Conformance fixture: ${what}`, inputSchema: { type: 'object', properties: {} }, annotations: ro(title) },
    run: () => {
      if (typeof answer === 'string') throw new ToolFailure(answer);
      return { __content: answer };
    },
  }]));
}

/** The tools the stand-in knows, by name (a real addon's `llm.tool` records). */
export const TOOLS: Record<string, ToolSpec> = {
  whoami: {
    definition: {
      name: 'whoami',
      title: 'Who am I',
      description: 'Returns the Odoo user the key belongs to.',
      inputSchema: { $schema: SCHEMA_2020, type: 'object', properties: {}, additionalProperties: false },
      outputSchema: {
        type: 'object',
        properties: { user_id: { type: 'integer' }, login: { type: 'string' } },
        required: ['user_id', 'login'],
      },
      annotations: ro('Who am I'),
    },
    run: (_args, user) => ({ user_id: user.id, login: user.login }),
  },
  odoo_search: {
    definition: BUILTIN.odoo_search!,
    run: (args, user) => {
      // the stand-in's users read contacts only: any other model is refused as Odoo refuses sale.order to a clerk
      if (args.model !== 'res.partner') throw new ToolFailure(resultText('call-tool-refused', { 'sale.order': String(args.model) }));
      const all = PARTNERS[user.id] ?? [];
      const limit = typeof args.limit === 'number' ? args.limit : 80;
      return { records: all.slice(0, limit), total: all.length, has_more: all.length > limit };
    },
  },
  partner_create: {
    definition: {
      name: 'partner_create',
      title: 'Create a contact',
      description: 'Creates a contact (res.partner).',
      inputSchema: {
        $schema: SCHEMA_2020,
        type: 'object',
        properties: { name: { type: 'string', minLength: 1 } },
        required: ['name'],
        additionalProperties: false,
      },
      annotations: { title: 'Create a contact', readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    run: (args) => ({ id: 100, name: args.name }),
  },
  slow_echo: {
    definition: {
      name: 'slow_echo',
      title: 'Slow echo',
      description: 'Answers after `ms` milliseconds (for timeouts and cancellation).',
      inputSchema: { type: 'object', properties: { ms: { type: 'integer', minimum: 0 } }, required: ['ms'] },
      annotations: ro('Slow echo'),
    },
    run: async (args, _user, signal) => {
      await delay(Number(args.ms), signal);
      return { slept: args.ms };
    },
  },
  big_answer: {
    // An answer of about 2 × `bytes` (the result twice: as content text and as structuredContent).
    definition: {
      name: 'big_answer',
      description: 'Returns a result of `bytes` characters (for answer-size limits).',
      inputSchema: { type: 'object', properties: { bytes: { type: 'integer', minimum: 0 } }, required: ['bytes'] },
      annotations: ro('Big answer'),
    },
    run: (args) => ({ data: 'x'.repeat(Number(args.bytes)) }),
  },
  endless_answer: {
    // Streams its answer (chunked, no Content-Length) until the sidecar drops the connection.
    definition: {
      name: 'endless_answer',
      description: 'Streams an answer that never ends.',
      inputSchema: { type: 'object', properties: {} },
      annotations: ro('Endless answer'),
    },
    run: () => ({ __endless: true }),
  },
  broken_output: {
    // Breaks its own outputSchema, as an addon bug would: the sidecar must not pass it on as a success.
    definition: {
      name: 'broken_output',
      description: 'Returns a result that does not match its outputSchema.',
      inputSchema: { type: 'object', properties: {} },
      outputSchema: { type: 'object', properties: { total: { type: 'integer' } }, required: ['total'] },
      annotations: ro('Broken output'),
    },
    run: () => ({ total: 'many' }),
  },
  odoo_report: {
    // Returns a resource_link to a report, as the addon's odoo_report does (docs/contract.md, call).
    definition: BUILTIN.odoo_report!,
    run: (args) => {
      const link = { uri: `odoo://report/${String(args.report)}/${(args.ids as number[]).join(',')}`, name: 'Quotation.pdf', mimeType: 'application/pdf' };
      return { __content: [{ type: 'text', text: JSON.stringify({ resource_links: [link] }) }, { type: 'resource_link', ...link }],
        __structured: { resource_links: [link] } };
    },
  },
  // Fixture tools of the MCP conformance suite (server scenarios tools-call-*): fixed content, or a failure.
  ...conformanceTools({
    test_simple_text: ['text content', 'Simple text', [{ type: 'text', text: 'This is a simple text response for testing.' }]],
    test_image_content: ['image content', 'Image', [{ type: 'image', data: PNG_1PX, mimeType: 'image/png' }]],
    test_audio_content: ['audio content', 'Audio', [{ type: 'audio', data: WAV_SILENCE, mimeType: 'audio/wav' }]],
    test_embedded_resource: ['embedded resource', 'Resource',
      [{ type: 'resource', resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' } }]],
    test_multiple_content_types: ['mixed content', 'Mixed', [
      { type: 'text', text: 'Multiple content types test:' },
      { type: 'image', data: PNG_1PX, mimeType: 'image/png' },
      { type: 'resource', resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: '{"test":"data","value":123}' } },
    ]],
    test_error_handling: ['always fails', 'Error', 'This tool intentionally returns an error for testing'],
  }),
};

/** Tools a person confirms before each call (the addon's llm.tool.requires_confirmation); run by the instance. */
export const CONFIRMED_TOOLS: Record<string, Record<string, unknown>> = { odoo_delete: BUILTIN.odoo_delete! };

// -- Resources (docs/contract.md, Resources): the addon's odoo:// resources for the stand-in's users, and the
// conformance suite's fixtures (test://static-text, test://static-binary, test://template/{id}/data).

const RESOURCE_ROUTES = ['/llm_mcp/v1/resources', '/llm_mcp/v1/resource_templates', '/llm_mcp/v1/resource'];
/** The stand-in's file size limit (the addon's "Largest file"), named in the refusal of a bigger file. */
export const STAND_IN_FILE_CAP = 4096;
/** A minimal PDF, as Odoo's report engine would give a quotation. */
export const TINY_PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

/** Odoo's templates (the contract fixture), and the conformance suite's. */
const RESOURCE_TEMPLATES = [
  ...(fixture('resource-templates').response.body.resourceTemplates as object[]),
  { uriTemplate: 'test://template/{id}/data', name: 'conformance-template', title: 'Conformance fixture template', mimeType: 'application/json' },
];

/** The first resource Odoo lists (fixture `resources`): the user's company. */
const MY_COMPANY = (fixture('resources').response.body.resources as Array<{ name: string }>).find((r) => r.name === 'my-company')!;

/** Attachments by id: who may read them (user ids) and their bytes. Id 2 is over STAND_IN_FILE_CAP. */
const ATTACHMENTS: Record<number, { users: number[]; mimeType: string; data: Buffer }> = {
  1: { users: [2, 6], mimeType: 'image/png', data: Buffer.from(PNG_1PX, 'base64') },
  2: { users: [2], mimeType: 'application/octet-stream', data: Buffer.alloc(STAND_IN_FILE_CAP + 1) },
  3: { users: [2], mimeType: 'text/plain', data: Buffer.from('Alice only') },
};

type Contents = { uri: string; mimeType: string; text?: string; blob?: string };
class ResourceFailure extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** What `uri` holds for `user`, as the addon answers it; throws ResourceFailure as the addon refuses. */
function readStandInResource(uri: string, user: StandInUser): Contents {
  const unknown = new ResourceFailure(404, 'unknown_resource', errorMessage('resource-unknown', { 'odoo://res.partner/999999999': uri }));
  if (uri === 'test://static-text') return { uri, mimeType: 'text/plain', text: 'This is the content of the static text resource.' };
  if (uri === 'test://static-binary') return { uri, mimeType: 'image/png', blob: PNG_1PX };
  const template = /^test:\/\/template\/([^/]+)\/data$/.exec(uri);
  if (template) return { uri, mimeType: 'application/json', text: JSON.stringify({ id: template[1], templateTest: true }) };
  const report = /^odoo:\/\/report\/([^/]+)\/([0-9,]+)$/.exec(uri);
  if (report) {
    if (user.id !== 2) throw new ResourceFailure(403, 'resource_refused', errorMessage('resource-report-refused'));
    return { uri, mimeType: 'application/pdf', blob: TINY_PDF.toString('base64') };
  }
  const record = /^odoo:\/\/([a-z0-9_.]+)\/([0-9]+)$/.exec(uri);
  if (!record) throw unknown;
  const [, model, id] = record as unknown as [string, string, string];
  if (model === 'ir.attachment') {
    const file = ATTACHMENTS[Number(id)];
    if (!file || !file.users.includes(user.id)) throw unknown;
    if (file.data.length > STAND_IN_FILE_CAP) {
      throw new ResourceFailure(413, 'resource_too_large', errorMessage('resource-too-large', { 1025: String(file.data.length), 1024: String(STAND_IN_FILE_CAP) }));
    }
    return { uri, mimeType: file.mimeType, blob: file.data.toString('base64') };
  }
  if (model === 'ir.config_parameter') {
    throw new ResourceFailure(403, 'resource_refused', errorMessage('resource-refused'));
  }
  if (model === 'res.company' && id === '1') return { uri, mimeType: 'application/json', text: JSON.stringify({ id: 1, display_name: 'YourCompany', name: 'YourCompany' }) };
  if (model !== 'res.partner') throw unknown;
  const partner = (PARTNERS[user.id] ?? []).find((p) => p.id === Number(id));
  if (!partner) throw unknown;
  return { uri, mimeType: 'application/json', text: JSON.stringify({ id: partner.id, display_name: partner.name, name: partner.name }) };
}

export const USERS: StandInUser[] = [
  { id: 2, login: 'alice', name: 'Alice Admin', tools: Object.keys(TOOLS) },
  { id: 6, login: 'bob', name: 'Bob Sales', tools: ['odoo_search', 'whoami'] },
  { id: 7, login: 'carol', name: 'Carol Clerk', tools: ['whoami', 'odoo_delete'] },
  // every built-in tool, listed as Odoo gives it (test/sidecar/toolsnaps.test.ts); runs only those above
  { id: 8, login: 'dora', name: 'Dora Admin', tools: Object.keys(BUILTIN) },
];

export const KEYS: StandInKey[] = [
  { key: 'a1c3e0f4b7d94e2f8a6b5c4d3e2f1a0b9c8d7e6f', id: 11, userId: 2, name: 'Claude Desktop', scope: 'mcp', readOnly: false, allowedTools: null },
  { key: 'a9f8e7d6c5b4a3928170f6e5d4c3b2a190817263', id: 12, userId: 2, name: 'read-only', scope: 'mcp', readOnly: true, allowedTools: null },
  { key: 'b0b5e0f4b7d94e2f8a6b5c4d3e2f1a0b9c8d7e6f', id: 21, userId: 6, name: 'Bob global key', scope: null, readOnly: false, allowedTools: null },
  { key: 'c4a01e0f4b7d94e2f8a6b5c4d3e2f1a0b9c8d7e6', id: 31, userId: 7, name: 'Carol key', scope: 'mcp', readOnly: false, allowedTools: null },
  { key: 'c4a02e0f4b7d94e2f8a6b5c4d3e2f1a0b9c8d7e6', id: 32, userId: 7, name: 'Carol second key', scope: 'mcp', readOnly: false, allowedTools: null },
  { key: 'd0a01e0f4b7d94e2f8a6b5c4d3e2f1a0b9c8d7e6', id: 41, userId: 8, name: 'Dora global key', scope: null, readOnly: false, allowedTools: null },
];

export const ALICE_KEY = KEYS[0]!.key;
export const ALICE_READ_ONLY_KEY = KEYS[1]!.key;
export const BOB_KEY = KEYS[2]!.key;
export const CAROL_KEY = KEYS[3]!.key;
export const CAROL_SECOND_KEY = KEYS[4]!.key;
export const DORA_KEY = KEYS[5]!.key;

/** The contacts Carol may delete, by id (a fresh copy per stand-in). */
const CAROL_RECORDS: Record<number, string> = { 41: 'Azure Interior', 42: 'Deco Addict', 43: 'Gemini Furniture' };

/** A confirmation the stand-in asked for (the addon signs its claims into the state; the stand-in, whose states are
 * opaque to the sidecar as Odoo's are, keeps them): whose, for which arguments, through which channel. */
interface AskedConfirmation {
  keyId: number;
  arguments: Record<string, unknown>;
  channel: 'token' | 'elicitation';
  expiresAt: number;
  answered: boolean;
}

export interface StandInCounts {
  health: number;
  identity: number;
  tools: number;
  call: number;
  fastPath: number;
  unauthorized: number;
}

export class OdooStandIn {
  readonly database: string;
  readonly counts: StandInCounts = { health: 0, identity: 0, tools: 0, call: 0, fastPath: 0, unauthorized: 0 };
  readonly calls: RelayedCall[] = [];
  /** One row per authenticated `call`, whatever its outcome, as the addon writes them. */
  readonly audit: AuditRow[] = [];
  /** request_id of relayed calls whose HTTP request was dropped by the sidecar before the answer. */
  readonly cancellations: string[] = [];
  /** Every `cancel` request that passed authentication: whose, which id, and whether it stopped a running call. */
  readonly cancelRequests: Array<{ userId: number; keyId: number; requestId: string; scope?: string; cancelled: boolean }> = [];
  /** How long `cancel` takes to answer (to see how many the sidecar holds open at once), and the most at once. */
  cancelDelayMs = 0;
  peakOpenCancels = 0;
  private openCancels = 0;
  /** Calls running now, as the addon's llm_mcp_running_call: found by `cancel` by (user, key, request id). */
  private readonly running = new Set<{ userId: number; keyId: number; requestId: string; scope: string; stop: AbortController; cancelled: boolean }>();
  /** Scoped cancellations that found no running call (the addon's tombstones): the call, when it comes, runs nothing. */
  private readonly tombstones = new Set<string>();
  /** Every Authorization header value seen (to prove the sidecar relays the caller's own key). */
  readonly authorizations: string[] = [];
  /** Every request's headers as received, apart from Authorization (to see what the sidecar passes on). */
  readonly headersSeen: Record<string, string | string[] | undefined>[] = [];
  /** 'garbage': answers 200 with non-JSON; 'error': answers 500 with a contract error body. */
  mode: 'normal' | 'garbage' | 'error' = 'normal';
  /** Most `call` requests open at once, per key id (to see a key's share of Odoo). */
  readonly peakOpenCalls = new Map<number, number>();
  private readonly openCalls = new Map<number, number>();
  /** Connections the sidecar dropped while `endless_answer` was still streaming. */
  endlessCut = 0;
  /** Added to every tool list (changes the fingerprint), to test cache invalidation. */
  extraToolDescription = '';
  mcpEnabled = true;
  /** The settings' rate limits, calls per minute (0: none, the default here so other tests never meet them). */
  rateLimits = { keyCalls: 0, keyWrites: 0, userCalls: 0 };
  /** The settings' calls running at once per user (0: none, the default here). */
  runningPerUser = 0;
  /** Calls let through in the last minute (the addon's llm_mcp_rate_event); refused calls add nothing. */
  private readonly rateWindow: Array<{ userId: number; keyId: number; write: boolean; at: number }> = [];
  /** The health answer's OAuth hint (docs/contract.md, OAuth); null: OAuth off. */
  oauth: { resource_metadata: string; scope: string } | null = null;
  /** Carol's contacts still there (odoo_delete removes them once confirmed). */
  readonly records = new Map<number, string>(Object.entries(CAROL_RECORDS).map(([id, name]) => [Number(id), name]));
  /** How long a confirmation state lives (the addon: 5 minutes). */
  confirmationTtlMs = 300_000;
  private readonly asked = new Map<string, AskedConfirmation>();
  private readonly keys: StandInKey[];
  private readonly secret = 'stand-in-database-secret';
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private port = 0;

  constructor(options: { database?: string; keys?: StandInKey[] } = {}) {
    this.database = options.database ?? 'standin';
    this.keys = (options.keys ?? KEYS).map((k) => ({ ...k }));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts listening (on the same port again after `stop`, so a sidecar can find it back). */
  async start(): Promise<string> {
    // a stand-in bug or a fixture it no longer follows (contractFiles.reworded throws): a loud 500, not a hang
    const server = createServer((req, res) => void this.handle(req, res).catch((err: Error) => {
      console.error(`odoo stand-in: ${err.stack ?? err.message}`);
      if (!res.headersSent) this.fail(res, 500, 'internal_error', `stand-in: ${err.message}`);
      else res.destroy();
    }));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  revoke(key: string): void {
    const i = this.keys.findIndex((k) => k.key === key);
    if (i >= 0) this.keys.splice(i, 1);
  }

  /** The addon's rate_limit.reserve: undefined and the call counted, or the refusal's message and wait. */
  private reserve(key: StandInKey, write: boolean): { message: string; retryAfter: number } | undefined {
    const now = Date.now();
    const windowMs = 60_000;
    while (this.rateWindow.length > 0 && this.rateWindow[0]!.at <= now - windowMs) this.rateWindow.shift();
    const mine = this.rateWindow.filter((e) => e.userId === key.userId);
    // each limit's refusal is Odoo's (the contract fixture of a limit of 1 reached, its wait the window's 60 s)
    const limits: Array<[number, typeof mine, string]> = [
      [key.callsPerMinute || this.rateLimits.keyCalls, mine.filter((e) => e.keyId === key.id), 'call-rate-limited-key'],
      [write ? key.writesPerMinute || this.rateLimits.keyWrites : 0, mine.filter((e) => e.keyId === key.id && e.write), 'call-rate-limited-writes'],
      [this.rateLimits.userCalls, mine, 'call-rate-limited-user'],
    ];
    const met = limits.filter(([allowed, used]) => allowed > 0 && used.length >= allowed);
    if (met.length === 0) {
      this.rateWindow.push({ userId: key.userId, keyId: key.id, write, at: now });
      return undefined;
    }
    const waits = met.map(([allowed, used]) => Math.max(1, Math.ceil((used[used.length - allowed]!.at + windowMs - now) / 1000)));
    const retryAfter = Math.max(...waits);
    const [allowed, , refusal] = met[waits.indexOf(retryAfter)]!;
    return { message: errorMessage(refusal, { 'make 1 calls': `make ${allowed} calls`, 'Retry in 60 s': `Retry in ${retryAfter} s` }), retryAfter };
  }

  private toolsFor(key: StandInKey): Record<string, unknown>[] {
    const user = USERS.find((u) => u.id === key.userId)!;
    return user.tools
      .map((name) => TOOLS[name]?.definition ?? CONFIRMED_TOOLS[name] ?? BUILTIN[name]!)
      .filter((d) => !key.readOnly || (d.annotations as { readOnlyHint?: boolean } | undefined)?.readOnlyHint === true)
      .filter((d) => !key.allowedTools || key.allowedTools.includes(d.name as string))
      .map((d) => (this.extraToolDescription ? { ...d, description: `${String(d.description)} ${this.extraToolDescription}` } : d))
      .sort((a, b) => String(a.name).localeCompare(String(b.name)));
  }

  private fingerprint(key: StandInKey): string {
    return createHash('sha256').update(JSON.stringify(this.toolsFor(key))).digest('hex');
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(`llm_mcp_token:${payload}`).digest('hex');
  }

  private makeToken(key: StandInKey): { token: string; expires: Date } {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const keyHash = createHash('sha256').update(key.key).digest('hex');
    return { token: `${key.id}.${key.userId}.${exp}.${this.sign(`${key.id}.${key.userId}.${exp}.${keyHash}`)}`, expires: new Date(exp * 1000) };
  }

  private tokenValid(token: string, key: StandInKey): boolean {
    const [kid, uid, exp, sig] = token.split('.');
    if (!kid || !uid || !exp || !sig || Number(kid) !== key.id || Number(uid) !== key.userId) return false;
    if (Number(exp) * 1000 < Date.now()) return false;
    const keyHash = createHash('sha256').update(key.key).digest('hex');
    const expected = Buffer.from(this.sign(`${kid}.${uid}.${exp}.${keyHash}`));
    const given = Buffer.from(sig);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.destroyed) return;
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  private streamEndlessly(res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'application/json' }); // chunked: no Content-Length to refuse up front
    res.write('{"contract": 1, "isError": false, "content": [{"type": "text", "text": "');
    const chunk = 'x'.repeat(64 * 1024);
    let open = true;
    res.on('close', () => {
      open = false;
      if (!res.writableFinished) this.endlessCut += 1;
    });
    const more = () => {
      if (open && res.write(chunk)) setImmediate(more);
      else if (open) res.once('drain', more);
    };
    more();
  }

  /** Answers as Odoo does in the contract fixture `name`, its body's fields overridden by `fields`. */
  private answerAs(res: ServerResponse, name: string, fields: Record<string, unknown> = {}): void {
    const { response } = fixture(name);
    this.send(res, response.status, { ...response.body, ...fields }, response.headers);
  }

  /** Refuses as Odoo does in the contract fixture `name` (an error answer), its message's texts changed by `put`. */
  private refuseAs(res: ServerResponse, name: string, put: Record<string, string> = {}): void {
    const { response } = fixture(name) as Exchange & { response: { body: { error: { code: string } } } };
    this.fail(res, response.status, response.body.error.code, errorMessage(name, put), response.headers);
  }

  private fail(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
    this.send(res, status, { contract: 1, error: { code, message } }, headers);
  }

  private authenticate(req: IncomingMessage, res: ServerResponse): StandInKey | undefined {
    const header = req.headers.authorization ?? '';
    this.authorizations.push(header);
    const match = /^Bearer (.+)$/.exec(header);
    const key = match ? this.keys.find((k) => k.key === match[1]) : undefined;
    if (!key) {
      this.counts.unauthorized += 1;
      this.refuseAs(res, 'identity-unauthorized');
      return undefined;
    }
    const token = req.headers['x-llm-mcp-token'];
    if (typeof token === 'string' && this.tokenValid(token, key)) this.counts.fastPath += 1;
    return key;
  }

  private async readJson(req: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return undefined;
    }
  }

  private confirmedSpec(name: string): ToolSpec {
    return {
      definition: CONFIRMED_TOOLS[name]!,
      run: (args) => {
        const ids = args.ids as number[];
        const missing = ids.filter((id) => !this.records.has(id));
        if (missing.length) throw new ToolFailure(resultText('confirmation-missing-record', { 999999999: missing.join(', ') }));
        for (const id of ids) this.records.delete(id);
        const done = answerOf('confirmation-accepted', { '[41]': JSON.stringify(ids), '"deleted": 1': `"deleted": ${ids.length}` }).body;
        return { __content: done.content as unknown[], __structured: done.structuredContent };
      },
    };
  }

  /** The addon's confirmation gate (contract "Confirmations") for Carol's odoo_delete, in Odoo's words (the
   * confirmation-* fixtures), its checks in the addon's order. */
  private gate(
    key: StandInKey,
    tool: string,
    given: Record<string, unknown>,
    confirmation: unknown,
    confirmWith: unknown,
  ): { arguments: Record<string, unknown> } | { answer: Record<string, unknown>; outcome: AuditRow['outcome']; message: string } {
    const { confirmation_token: givenToken, ...args } = given;
    // a client that asks the person itself: only their answer (`confirmation`) counts, never the model's token
    const channel = confirmWith === 'elicitation' ? 'elicitation' : 'token';
    const token = channel === 'elicitation' ? undefined : givenToken;
    const refuse = (fixtureName: string, outcome: AuditRow['outcome'], put: Record<string, string> = {}) => {
      const answer = answerOf(fixtureName, put).body;
      return { answer, outcome, message: (answer.content as Array<{ text: string }>)[0]!.text };
    };
    if (confirmation === undefined && token === undefined) {
      const ids = args.ids as number[];
      const missing = ids.filter((id) => !this.records.has(id));
      if (missing.length) return refuse('confirmation-missing-record', 'tool_error', { 999999999: missing.join(', ') });
      const state = randomUUID();
      const expiresAt = Date.now() + this.confirmationTtlMs;
      this.asked.set(state, { keyId: key.id, arguments: structuredClone(args), channel, expiresAt, answered: false });
      // the fixtures' preview names the contact TestContractFixtures deletes
      const { answer } = refuse(channel === 'elicitation' ? 'confirmation-requested-elicitation' : 'confirmation-requested',
        'confirmation_requested', { '“Stand-in Contact” (#41)': ids.map((id) => `“${this.records.get(id)}” (#${id})`).join(', '),
          '1 record': `${ids.length} record${ids.length === 1 ? '' : 's'}`, '<state>': state });
      const asking = answer.confirmation as { message: string; expires_at: string };
      asking.expires_at = new Date(expiresAt).toISOString().replace(/\.\d+Z$/, 'Z');
      return { answer, outcome: 'confirmation_requested', message: asking.message };
    }
    const c = (confirmation ?? { state: token, answer: 'accept' }) as { state?: unknown; answer?: unknown };
    if (typeof c !== 'object' || c === null || !['accept', 'decline', 'cancel'].includes(String(c.answer))) {
      return refuse('confirmation-malformed', 'invalid');
    }
    const asked = typeof c.state === 'string' ? this.asked.get(c.state) : undefined;
    // a state the addon did not sign for this key (altered, forged, another key's) fails its signature check
    if (!asked || asked.keyId !== key.id) return refuse('confirmation-other-key', 'invalid');
    if (!isDeepStrictEqual(asked.arguments, args)) return refuse('confirmation-other-arguments', 'invalid');
    if (confirmation === undefined && asked.channel !== 'token') return refuse('confirmation-person-only', 'invalid');
    if (asked.expiresAt < Date.now()) return refuse('confirmation-expired', 'expired');
    if (asked.answered) return refuse('confirmation-used', 'invalid');
    asked.answered = true;
    if (c.answer !== 'accept') return refuse(c.answer === 'decline' ? 'confirmation-declined' : 'confirmation-cancelled', 'declined');
    return { arguments: args };
  }

  /** Every resources/read the stand-in answered: the URI and who read it (audited like calls). */
  readonly resourceReads: { uri: unknown; userId: number; keyId: number }[] = [];

  /** The three resource routes, as the addon answers them. */
  private serveResources(path: string, key: StandInKey, user: StandInUser, body: Record<string, unknown>, res: ServerResponse,
    audit: (row: Omit<AuditRow, 'userId' | 'keyId'>) => void): void {
    // the addon governs resources by the tools that give the same data: a key limited to other tools reads none
    const allowed = key.allowedTools === null || key.allowedTools.includes('odoo_search');
    if (path === '/llm_mcp/v1/resource_templates') {
      return this.send(res, 200, { contract: 1, resourceTemplates: allowed ? RESOURCE_TEMPLATES : [] });
    }
    if (path === '/llm_mcp/v1/resources') {
      const all = allowed ? [
        MY_COMPANY,
        ...(PARTNERS[user.id] ?? []).map((p) => ({ uri: `odoo://res.partner/${p.id}`, name: `partner-${p.id}`, title: p.name, mimeType: 'application/json' })),
        { uri: 'test://static-text', name: 'static-text', title: 'Conformance fixture: text', mimeType: 'text/plain' },
        { uri: 'test://static-binary', name: 'static-binary', title: 'Conformance fixture: binary', mimeType: 'image/png' },
      ] : [];
      // pages of 2, so paging is exercised; the cursor is the addon's own business, opaque to the sidecar
      const offset = typeof body.cursor === 'string' ? Number(/^page-(\d+)$/.exec(body.cursor)?.[1] ?? NaN) : 0;
      if (!Number.isInteger(offset) || offset < 0 || offset > all.length) return this.refuseAs(res, 'resource-bad-cursor');
      const end = offset + 2;
      return this.send(res, 200, { contract: 1, resources: all.slice(offset, end), ...(end < all.length ? { nextCursor: `page-${end}` } : {}) });
    }
    const uri = body.uri;
    this.resourceReads.push({ uri, userId: user.id, keyId: key.id });
    const facts = { client: body.client, request_id: body.request_id };
    if (typeof uri !== 'string' || !uri) {
      audit({ tool: 'resources/read', outcome: 'invalid', ...facts });
      return this.refuseAs(res, 'resource-bad-request');
    }
    try {
      if (!allowed) throw new ResourceFailure(403, 'resource_refused', errorMessage('resource-tool-not-allowed', { 'odoo://res.partner/1': uri }));
      const contents = readStandInResource(uri, user);
      audit({ tool: 'resources/read', outcome: 'ok', ...facts });
      return this.send(res, 200, { contract: 1, contents: [contents] });
    } catch (err) {
      if (!(err instanceof ResourceFailure)) throw err;
      audit({ tool: 'resources/read', outcome: err.status === 403 ? 'denied' : err.status === 404 ? 'invalid' : 'tool_error', message: err.message, ...facts });
      return this.fail(res, err.status, err.code, err.message);
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    const { authorization: _key, ...headers } = req.headers;
    this.headersSeen.push(headers);
    if (this.mode === 'garbage') {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<html>Odoo Server Error</html>');
      return;
    }
    if (this.mode === 'error') {
      this.fail(res, 500, 'internal_error', 'Something went wrong in Odoo');
      return;
    }
    if (path === '/llm_mcp/v1/health') {
      if (req.method !== 'GET') return this.refuseAs(res, 'health-method-not-allowed');
      this.counts.health += 1;
      return this.answerAs(res, 'health', { database: this.database, oauth: this.oauth });
    }
    if (PROMPT_ROUTES.has(path ?? '')) return this.answerPrompts(req, res, path!);
    if (!['/llm_mcp/v1/identity', '/llm_mcp/v1/tools', '/llm_mcp/v1/call', '/llm_mcp/v1/cancel', ...RESOURCE_ROUTES].includes(path ?? '')) {
      res.writeHead(404, { 'Content-Type': 'text/html' });
      res.end('<html>404 Not Found</html>');
      return;
    }
    if (req.method !== 'POST') return this.refuseAs(res, 'identity-method-not-allowed');
    const key = this.authenticate(req, res);
    if (!key) return;
    const user = USERS.find((u) => u.id === key.userId)!;
    const isCall = path === '/llm_mcp/v1/call' || path === '/llm_mcp/v1/resource';
    const audit = (row: Omit<AuditRow, 'userId' | 'keyId'>) => {
      if (isCall) this.audit.push({ ...row, userId: user.id, keyId: key.id });
    };
    const body = await this.readJson(req);
    const named = typeof (body as { name?: unknown } | undefined)?.name === 'string' ? (body as { name: string }).name : undefined;
    if (!this.mcpEnabled) {
      audit({ tool: named, outcome: 'denied' });
      return this.refuseAs(res, 'tools-mcp-disabled');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      audit({ tool: undefined, outcome: 'invalid' });
      return this.refuseAs(res, 'call-not-an-object');
    }
    if (path === '/llm_mcp/v1/identity') {
      this.counts.identity += 1;
      const { token, expires } = this.makeToken(key);
      const real = fixture('identity').response.body as { user: Record<string, unknown> };
      return this.answerAs(res, 'identity', {
        user: { ...real.user, id: user.id, login: user.login, name: user.name },
        database: this.database,
        key: { id: key.id, name: key.name, scope: key.scope, read_only: key.readOnly, allowed_tools: key.allowedTools },
        server: { name: 'Odoo MCP (stand-in)', instructions: 'Tools of an Odoo 18 database.' },
        tools_fingerprint: this.fingerprint(key),
        token,
        token_expires_at: expires.toISOString(),
      });
    }
    if (path === '/llm_mcp/v1/tools') {
      this.counts.tools += 1;
      return this.send(res, 200, { contract: 1, fingerprint: this.fingerprint(key), tools: this.toolsFor(key) });
    }
    if (RESOURCE_ROUTES.includes(path ?? '')) return this.serveResources(path!, key, user, body as Record<string, unknown>, res, audit);
    if (path === '/llm_mcp/v1/cancel') {
      const { request_id: requestId, cancel_scope: scope } = body as { request_id?: unknown; cancel_scope?: unknown };
      if (typeof requestId !== 'string' || requestId.length === 0 || requestId.length > 128 || requestId.includes('\u0000')) {
        return this.fail(res, 400, 'bad_request', "'request_id' must be the JSON-RPC id of the call as text (1 to 128 characters).");
      }
      if (scope !== undefined && (typeof scope !== 'string' || scope.length === 0 || scope.length > 128 || scope.includes('\u0000'))) {
        return this.fail(res, 400, 'bad_request', "'cancel_scope' must be the call's cancel_scope as text (1 to 128 characters) or absent.");
      }
      // only the caller's own calls (user and key of the authenticated key, never the body's) in that scope, each signalled once
      let cancelled = false;
      for (const run of this.running) {
        if (run.userId === user.id && run.keyId === key.id && run.requestId === requestId && run.scope === (scope ?? '') && !run.cancelled) {
          run.cancelled = true;
          run.stop.abort();
          cancelled = true;
        }
      }
      if (!cancelled && scope !== undefined) this.tombstones.add(JSON.stringify([user.id, key.id, scope, requestId]));
      this.cancelRequests.push({ userId: user.id, keyId: key.id, requestId, ...(scope === undefined ? {} : { scope }), cancelled });
      if (this.cancelDelayMs > 0) {
        this.peakOpenCancels = Math.max(this.peakOpenCancels, ++this.openCancels);
        await new Promise((resolve) => setTimeout(resolve, this.cancelDelayMs));
        this.openCancels -= 1;
      }
      return this.send(res, 200, { contract: 1, cancelled });
    }
    // /llm_mcp/v1/call
    this.counts.call += 1;
    const open = (this.openCalls.get(key.id) ?? 0) + 1;
    this.openCalls.set(key.id, open);
    this.peakOpenCalls.set(key.id, Math.max(open, this.peakOpenCalls.get(key.id) ?? 0));
    res.on('close', () => this.openCalls.set(key.id, (this.openCalls.get(key.id) ?? 1) - 1));
    const call = body as Record<string, unknown>;
    const facts = { client: call.client, request_id: call.request_id };
    if (typeof call.name !== 'string') {
      audit({ tool: undefined, outcome: 'invalid', ...facts });
      return this.refuseAs(res, 'call-bad-request');
    }
    const name = call.name;
    const args = call.arguments ?? {};
    if (typeof args !== 'object' || args === null || Array.isArray(args)) {
      audit({ tool: name, outcome: 'invalid', ...facts });
      return this.refuseAs(res, 'call-arguments-not-an-object');
    }
    if (call.confirm_with !== undefined && call.confirm_with !== 'elicitation') {
      audit({ tool: name, outcome: 'invalid', ...facts });
      return this.refuseAs(res, 'call-bad-confirm-with');
    }
    this.calls.push({ name, arguments: structuredClone(args), client: call.client, request_id: call.request_id,
      ...(call.cancel_scope === undefined ? {} : { cancel_scope: call.cancel_scope }), protocol_version: call.protocol_version,
      ...(call.confirmation === undefined ? {} : { confirmation: call.confirmation }),
      ...(call.confirm_with === undefined ? {} : { confirm_with: call.confirm_with }), userId: user.id });
    const visible = this.toolsFor(key).some((d) => d.name === name);
    const spec = Object.hasOwn(TOOLS, name) ? TOOLS[name] : Object.hasOwn(CONFIRMED_TOOLS, name) ? this.confirmedSpec(name) : undefined;
    if (!visible || !spec) {
      // The tool exists but this user or key may not run it: `denied`; no such tool: `invalid`. Same answer.
      audit({ tool: name, outcome: spec ? 'denied' : 'invalid', ...facts });
      return this.refuseAs(res, 'call-unknown-tool', { "'no_such_tool'": `'${name}'` });
    }
    const annotations = spec.definition.annotations as { readOnlyHint?: boolean } | undefined;
    const refused = this.reserve(key, annotations?.readOnlyHint !== true);
    if (refused) {
      audit({ tool: name, outcome: 'rate_limited', message: refused.message, ...facts });
      return this.send(res, 429, { contract: 1, error: { code: 'rate_limited', message: refused.message, retry_after: refused.retryAfter } },
        { 'Retry-After': String(refused.retryAfter) });
    }
    const problem = argumentProblem(spec.definition.inputSchema as object, args);
    if (problem) {
      audit({ tool: name, outcome: 'invalid', message: problem, ...facts });
      return this.send(res, 200, { contract: 1, content: [{ type: 'text', text: problem }], isError: true });
    }
    let outcomeOnSuccess: AuditRow['outcome'] = 'ok';
    if (Object.hasOwn(CONFIRMED_TOOLS, name)) {
      const gate = this.gate(key, name, args as Record<string, unknown>, call.confirmation, call.confirm_with);
      if ('answer' in gate) {
        audit({ tool: name, outcome: gate.outcome, message: gate.message, ...facts });
        return this.send(res, 200, { contract: 1, ...gate.answer });
      }
      outcomeOnSuccess = 'confirmed';
      for (const k of Object.keys(args)) delete (args as Record<string, unknown>)[k];
      Object.assign(args, gate.arguments);
    }
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) {
        abort.abort();
        this.cancellations.push(String(call.request_id));
      }
    });
    // registered while it runs, as the addon's running-call row; a cancellation stops it (pg_cancel_backend)
    const run = { userId: user.id, keyId: key.id, requestId: typeof call.request_id === 'string' ? call.request_id : '',
      scope: typeof call.cancel_scope === 'string' ? call.cancel_scope : '', stop: new AbortController(), cancelled: false };
    const cancelledAnswer = () => {
      audit({ tool: name, outcome: 'cancelled', message: 'The call was cancelled by its caller; nothing it did was kept.', ...facts });
      return this.fail(res, 409, 'cancelled', 'The call was cancelled by its caller; nothing it did was kept.');
    };
    // cancelled before it got here (while it waited for a worker): runs nothing
    if (run.scope && this.tombstones.delete(JSON.stringify([user.id, key.id, run.scope, run.requestId]))) return cancelledAnswer();
    // the addon's cap counts the user's registered calls
    if (run.requestId && this.runningPerUser > 0 && [...this.running].filter((r) => r.userId === user.id).length >= this.runningPerUser) {
      audit({ tool: name, outcome: 'too_many_running', ...facts });
      const refused = answerOf('call-too-many-running', { 'have 2 calls': `have ${this.runningPerUser} calls` });
      return this.send(res, refused.status, refused.body, refused.headers);
    }
    if (run.requestId) this.running.add(run);
    try {
      const value = await spec.run(args as Record<string, unknown>, user, AbortSignal.any([abort.signal, run.stop.signal]));
      if (run.cancelled) return cancelledAnswer();
      audit({ tool: name, outcome: outcomeOnSuccess, ...facts });
      if ((value as { __endless?: boolean } | undefined)?.__endless) return this.streamEndlessly(res);
      const custom = (value as { __content?: unknown[] } | undefined)?.__content;
      const customStructured = (value as { __structured?: unknown } | undefined)?.__structured;
      if (custom) return this.send(res, 200, { contract: 1, content: custom, isError: false, ...(customStructured ? { structuredContent: customStructured } : {}) });
      const structured = typeof value === 'object' && value !== null && !Array.isArray(value) ? value : { result: value };
      return this.send(res, 200, { contract: 1, content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: structured, isError: false });
    } catch (err) {
      if (run.cancelled) return cancelledAnswer();
      const message = err instanceof ToolFailure ? err.message : 'Unexpected error';
      audit({ tool: name, outcome: 'tool_error', message, ...facts });
      if (abort.signal.aborted) return;
      return this.send(res, 200, { contract: 1, content: [{ type: 'text', text: message }], isError: true });
    } finally {
      this.running.delete(run);
    }
  }

  // -- prompts and completions (docs/contract.md, "Prompts and completions"); data: PROMPTS below ----------

  /** Counts of the prompt routes, and what prompts/get relayed. */
  readonly promptCounts = { prompts: 0, prompt: 0, complete: 0 };

  private async answerPrompts(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (req.method !== 'POST') return this.refuseAs(res, 'identity-method-not-allowed');
    const key = this.authenticate(req, res);
    if (!key) return;
    const user = USERS.find((u) => u.id === key.userId)!;
    const body = await this.readJson(req);
    const b = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : undefined) as Record<string, unknown> | undefined;
    const isGet = path === '/llm_mcp/v1/prompt';
    const name = typeof b?.name === 'string' ? b.name : undefined;
    const audit = (outcome: AuditRow['outcome'], message?: string) => {
      if (isGet) this.audit.push({ kind: 'prompt', tool: name, outcome, userId: user.id, keyId: key.id, client: b?.client, request_id: b?.request_id, ...(message ? { message } : {}) });
    };
    if (!this.mcpEnabled) {
      audit('denied');
      return this.refuseAs(res, 'tools-mcp-disabled');
    }
    if (!b) {
      audit('invalid');
      return this.refuseAs(res, 'call-not-an-object');
    }
    const mine = Object.values(PROMPTS).filter((p) => p.users.includes(user.id));
    if (path === '/llm_mcp/v1/prompts') {
      this.promptCounts.prompts += 1;
      const offset = typeof b.cursor === 'string' ? Number(b.cursor) : 0;
      const page = mine.slice(offset, offset + PROMPTS_PAGE);
      const next = offset + PROMPTS_PAGE < mine.length ? { nextCursor: String(offset + PROMPTS_PAGE) } : {};
      return this.send(res, 200, { contract: 1, prompts: page.map((p) => p.definition), ...next });
    }
    if (isGet) {
      this.promptCounts.prompt += 1;
      if (!name) {
        audit('invalid');
        return this.refuseAs(res, 'prompt-bad-request');
      }
      const spec = Object.hasOwn(PROMPTS, name) ? PROMPTS[name] : undefined;
      if (!spec || !spec.users.includes(user.id)) {
        audit(spec ? 'denied' : 'invalid');
        return this.refuseAs(res, 'prompt-unknown', { "'no_such_prompt'": `'${name}'` });
      }
      const args = (b.arguments ?? {}) as Record<string, unknown>;
      const declared = spec.definition.arguments ?? [];
      // the argument checks of the addon's llm.mcp.prompt, in its words (the prompt-* fixtures)
      const unknown = Object.keys(args).filter((a) => !declared.some((d) => d.name === a)).sort();
      const missing = declared.find((d) => d.required && (typeof args[d.name] !== 'string' || args[d.name] === ''));
      const problem = unknown.length
        ? errorMessage('prompt-unknown-argument', { "'evil'": unknown.map((a) => `'${a}'`).join(', '), 'sales_customer_situation': name,
          'Its arguments: customer.': `Its arguments: ${declared.map((d) => d.name).join(', ') || 'none'}.` })
        : missing
          ? errorMessage('prompt-missing-argument', { "'customer'": `'${missing.name}'`, 'sales_customer_situation': name })
          : spec.fill(args as Record<string, string>, user);
      if (typeof problem === 'string') {
        audit('invalid', problem);
        return this.fail(res, 400, 'invalid_arguments', problem);
      }
      audit('ok');
      return this.send(res, 200, { contract: 1, description: spec.definition.description, messages: problem });
    }
    // /llm_mcp/v1/complete
    this.promptCounts.complete += 1;
    const ref = b.ref as { type?: unknown; name?: unknown; uri?: unknown } | undefined;
    const argument = b.argument as { name?: unknown; value?: unknown } | undefined;
    if (!ref || typeof ref.type !== 'string') return this.refuseAs(res, 'complete-bad-ref');
    if (!argument || typeof argument.name !== 'string') return this.refuseAs(res, 'complete-bad-request');
    const typed = typeof argument.value === 'string' ? argument.value.toLowerCase() : '';
    let candidates: string[];
    if (ref.type === 'ref/prompt') {
      const spec = typeof ref.name === 'string' && Object.hasOwn(PROMPTS, ref.name) ? PROMPTS[ref.name] : undefined;
      if (!spec || !spec.users.includes(user.id)) return this.refuseAs(res, 'complete-unknown-reference', { "'no_such_prompt'": `'${String(ref.name)}'` });
      candidates = spec.complete?.(argument.name, user) ?? [];
    } else if (ref.type === 'ref/resource' && ref.uri === 'odoo://{model}/{id}') {
      candidates = argument.name === 'model' ? READABLE_MODELS : [];
    } else {
      return this.refuseAs(res, 'complete-unknown-template', { "'file:///{path}'": `'${String(ref.uri)}'` });
    }
    const found = candidates.filter((c) => c.toLowerCase().includes(typed));
    return this.send(res, 200, { contract: 1, completion: { values: found.slice(0, 100), total: found.length, hasMore: found.length > 100 } });
  }
}

// -- prompts of the stand-in (the addon's llm.mcp.prompt records), with the conformance suite's fixtures ------

const PROMPT_ROUTES = new Set(['/llm_mcp/v1/prompts', '/llm_mcp/v1/prompt', '/llm_mcp/v1/complete']);
/** Odoo's page size for `prompts`, small here so the sidecar's following of nextCursor is exercised. */
const PROMPTS_PAGE = 3;

type PromptMessage = { role: 'user' | 'assistant'; content: Record<string, unknown> };

interface PromptSpec {
  definition: { name: string; title?: string; description: string; arguments?: Array<{ name: string; description?: string; required: boolean }> };
  /** The users who may read every model the prompt uses. */
  users: number[];
  /** The messages, or the problem with the arguments (a record not found, in the addon's words). */
  fill: (args: Record<string, string>, user: StandInUser) => PromptMessage[] | string;
  complete?: (argument: string, user: StandInUser) => string[];
}

const text = (t: string): PromptMessage => ({ role: 'user', content: { type: 'text', text: t } });

export const PROMPTS: Record<string, PromptSpec> = {
  test_simple_prompt: {
    definition: { name: 'test_simple_prompt', description: 'A simple prompt without arguments' },
    users: [2, 6],
    fill: () => [text('This is a simple prompt for testing.')],
  },
  test_prompt_with_arguments: {
    definition: {
      name: 'test_prompt_with_arguments',
      description: 'A prompt with required arguments',
      arguments: [
        { name: 'arg1', description: 'First test argument', required: true },
        { name: 'arg2', description: 'Second test argument', required: true },
      ],
    },
    users: [2, 6],
    fill: (a) => [text(`Prompt with arguments: arg1='${a.arg1}', arg2='${a.arg2}'`)],
    complete: (argument) => (argument === 'arg1' ? ['paris', 'park', 'party', 'test'] : []),
  },
  test_prompt_with_embedded_resource: {
    definition: {
      name: 'test_prompt_with_embedded_resource',
      description: 'A prompt that embeds a resource',
      arguments: [{ name: 'resourceUri', description: 'URI of the resource to embed', required: true }],
    },
    users: [2],
    fill: (a) => [
      { role: 'user', content: { type: 'resource', resource: { uri: a.resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' } } },
      text('Please process the embedded resource above.'),
    ],
  },
  test_prompt_with_image: {
    definition: { name: 'test_prompt_with_image', description: 'A prompt with an image' },
    users: [2],
    fill: () => [{ role: 'user', content: { type: 'image', data: PNG_1PX, mimeType: 'image/png' } }, text('Please analyze the image above.')],
  },
  // one of the addon's own prompts, as Odoo lists it and answers it for a contact (fixtures prompts, prompt)
  sales_customer_situation: {
    definition: (fixture('prompts').response.body.prompts as PromptSpec['definition'][]).find((p) => p.name === 'sales_customer_situation')!,
    users: [2], // Bob has no Sales rights
    fill: (a, user) => {
      const partner = (PARTNERS[user.id] ?? []).find((p) => p.name === a.customer);
      if (!partner) return errorMessage('prompt-no-record', { "'Nobody Such Ltd'": `'${a.customer}'` });
      return answerOf('prompt', { 'Stand-in Contact': partner.name, 41: String(partner.id), '<today>': new Date().toISOString().slice(0, 10) })
        .body.messages as PromptMessage[];
    },
    complete: (argument, user) => (argument === 'customer' ? (PARTNERS[user.id] ?? []).map((p) => p.name) : []),
  },
};

/** Models a completion of `odoo://{model}/{id}` offers: never the hidden ones (res.users.apikeys, …). */
const READABLE_MODELS = ['res.partner', 'sale.order', 'sale.order.line'];
