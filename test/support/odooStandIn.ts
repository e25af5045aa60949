// TEST CODE ONLY. An HTTP server that answers docs/contract.md (version 1) with what Odoo answered: the contract's
// fixtures (docs/contract/fixtures/, recorded and checked against the real routes by the addon's
// TestContractFixtures; test_llm_tool's conformance tools and prompts among them), the built-in tools' definitions
// (toolsnaps), and standInAnswers.json (only what Odoo cannot answer, each with its reason: the stand-in's own
// tools, content Odoo's tools and prompts cannot hold, test:// resources, a PDF). It decides nothing Odoo decides: an
// answer is looked up by the request's route and body, or chosen by the test (`serve`: the steps of a recorded
// sequence, such as a confirmation asked, then accepted, then replayed; `serveCancel`: Odoo's answer to a
// cancellation). What it keeps is test steering: users and keys (whose tools, whose answers), a tool list a test
// may edit, counters and what the sidecar relayed, one audit row per call (its outcome read off the answer), and
// Odoo's failures: down, slow (stopped when the test says Odoo cancelled it), endless, garbage.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { errorMessage, fixture, fixtureNames, toolSnapshots, type Exchange } from './contractFiles.js';

export interface StandInKey {
  key: string;
  id: number;
  userId: number;
  name: string;
  scope: 'mcp' | null;
  readOnly: boolean;
  allowedTools: string[] | null;
  /** The tools Odoo lists to this key (absent: its user's). */
  tools?: string[];
}

/** One row of the stand-in's audit log (the addon's `llm.mcp.call`); `kind` 'prompt' for a prompts/get. */
export interface AuditRow {
  kind?: 'prompt';
  tool: string | undefined;
  outcome: 'ok' | 'tool_error' | 'invalid' | 'denied' | 'rate_limited' | 'confirmation_requested' | 'cancelled';
  userId: number;
  keyId: number;
  [fact: string]: unknown; // client, request_id, message, a read's uri
}

/** A call as the sidecar relayed it (request_id, client, cancel_scope, confirmation, …), and whose key's user. */
export type RelayedCall = Record<string, unknown> & { name: string; arguments: unknown; userId: number };

type Answer = { path: string; login?: string; body: unknown; response: Exchange['response'] };
type Definitions = Record<string, Record<string, unknown>>;
const DATA = JSON.parse(readFileSync(new URL('./standInAnswers.json', import.meta.url), 'utf8')) as
  { tools: Definitions; prompts: Definitions; resourceTemplates: object[]; answers: Answer[] };

const byName = (list: unknown): Definitions => Object.fromEntries((list as Array<{ name: string }>).map((d) => [d.name, d]));
/** The conformance suite's tools and prompts that Odoo gives (test_llm_tool's, fixtures tools-conformance and
 * prompts), and those only the stand-in has (standInAnswers.json: content Odoo's tools and prompts cannot hold). */
const CONFORMANCE_TOOLS = [...Object.keys(byName(fixture('tools-conformance').response.body.tools)), ...Object.keys(DATA.tools).filter((t) => t.startsWith('test_'))];
const CONFORMANCE_PROMPTS = ['test_simple_prompt', 'test_prompt_with_arguments', ...Object.keys(DATA.prompts)];
/** Every tool definition the stand-in lists: the addon's built-ins and test_llm_tool's as clients get them, and its own. */
export const TOOLS: Definitions = { ...toolSnapshots(), ...byName(fixture('tools-conformance').response.body.tools), ...DATA.tools };
/** Prompt definitions: Odoo's (fixture `prompts`, test_llm_tool's among them) and the stand-in's own. */
const PROMPTS: Definitions = { ...byName(fixture('prompts').response.body.prompts), ...DATA.prompts };

const ALICE_TOOLS = ['whoami', 'odoo_search', 'odoo_report', ...Object.keys(DATA.tools).filter((t) => t !== 'whoami' && !t.startsWith('test_')), ...CONFORMANCE_TOOLS];
export const USERS = [
  { id: 2, login: 'alice', name: 'Alice Admin', tools: ALICE_TOOLS, prompts: ['sales_customer_situation', ...CONFORMANCE_PROMPTS] },
  { id: 6, login: 'bob', name: 'Bob Sales', tools: ['odoo_search', 'whoami'], prompts: CONFORMANCE_PROMPTS },
  { id: 7, login: 'carol', name: 'Carol Clerk', tools: ['whoami', 'odoo_delete'], prompts: [] },
  // every built-in tool, listed as Odoo gives it (test/sidecar/toolsnaps.test.ts)
  { id: 8, login: 'dora', name: 'Dora Admin', tools: Object.keys(toolSnapshots()), prompts: [] },
];

const key = (key: string, id: number, userId: number, name: string, more: Partial<StandInKey> = {}): StandInKey =>
  ({ key, id, userId, name, scope: 'mcp', readOnly: false, allowedTools: null, ...more });
export const KEYS: StandInKey[] = [
  key('a1c3e0f4b7d94e2f8a6b5c4d3e2f1a0b9c8d7e6f', 11, 2, 'Claude Desktop'),
  key('a9f8e7d6c5b4a3928170f6e5d4c3b2a190817263', 12, 2, 'read-only', { readOnly: true, tools: ALICE_TOOLS.filter((t) => t !== 'partner_create') }),
  key('b0b5e0f4b7d94e2f8a6b5c4d3e2f1a0b9c8d7e6f', 21, 6, 'Bob global key', { scope: null }),
  key('c4a01e0f4b7d94e2f8a6b5c4d3e2f1a0b9c8d7e6', 31, 7, 'Carol key'),
  key('d0a01e0f4b7d94e2f8a6b5c4d3e2f1a0b9c8d7e6', 41, 8, 'Dora global key', { scope: null }),
];
export const [ALICE_KEY, ALICE_READ_ONLY_KEY, BOB_KEY, CAROL_KEY, DORA_KEY] = KEYS.map((k) => k.key) as [string, string, string, string, string];

/** A request as an answer records it: route and body, the call's own facts (id, client, version, scope) and
 * empty arguments aside. */
const FACTS = ['client', 'request_id', 'protocol_version', 'cancel_scope'];
const requestOf = (path: string, body: unknown) => `${path} ${JSON.stringify(sorted(body ?? {}, true))}`;

function sorted(value: unknown, top = false): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const none = (k: string, x: unknown) => x === undefined || (top && (FACTS.includes(k) || (k === 'arguments' && JSON.stringify(x) === '{}')));
  return Object.fromEntries(Object.entries(value).filter(([k, x]) => !none(k, x)).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sorted(x)]));
}

/** Whether the stand-in's own answer `a` is for this request: its route, and each field it records (one that
 * records no `arguments` answers any; null: the field absent), for any user or its login. */
function answers(a: Answer, path: string, body: Record<string, unknown>, login: string): boolean {
  return a.path === path && (!a.login || a.login === login)
    && Object.entries(a.body as object).every(([k, v]) => JSON.stringify(sorted(v)) === JSON.stringify(sorted(body[k] ?? (k === 'arguments' ? {} : null))));
}

/** Odoo's recorded answers by request; a request recorded with several answers (the same call accepted, expired or
 * refused over a rate limit) is looked up in none: a test chooses which (`serve`). */
const RECORDED = new Map<string, string | null>();
for (const name of fixtureNames()) {
  const { request } = fixture(name);
  const asked = requestOf(request.path, request.body);
  RECORDED.set(asked, RECORDED.has(asked) ? null : name);
}

export class OdooStandIn {
  readonly database: string;
  readonly counts = { health: 0, identity: 0, tools: 0, call: 0, fastPath: 0, unauthorized: 0 };
  readonly promptCounts = { prompts: 0, prompt: 0, complete: 0 };
  readonly calls: RelayedCall[] = [];
  readonly audit: AuditRow[] = [];
  /** Every Authorization header seen, and every request's other headers (what the sidecar passes on). */
  readonly authorizations: string[] = [];
  readonly headersSeen: Record<string, string | string[] | undefined>[] = [];
  /** request_id of relayed calls whose HTTP request the sidecar dropped before the answer. */
  readonly cancellations: string[] = [];
  /** Every authenticated `cancel` as the sidecar relayed it: whose key (its user and id), the body's request_id
   * and cancel_scope (absent: not sent). Whether it stops a call is Odoo's (TestCancelRoute), here the test's. */
  readonly cancelRequests: Array<{ userId: number; keyId: number; requestId: unknown; scope?: unknown }> = [];
  /** Odoo failing: 'garbage' answers 200 with HTML, 'error' 500 with a contract error. */
  mode: 'normal' | 'garbage' | 'error' = 'normal';
  mcpEnabled = true;
  /** The health answer's OAuth hint (docs/contract.md, OAuth); null: OAuth off. */
  oauth: { resource_metadata: string; scope: string } | null = null;
  /** Added to every tool description (a new fingerprint), to test cache invalidation and list sizes. */
  extraToolDescription = '';
  /** How long `cancel` takes (to see how many the sidecar holds open at once), and the most open at once. */
  cancelDelayMs = 0;
  peakOpenCancels = 0;
  /** Most `call` requests open at once per key id, and per user id; connections cut while `endless_answer` streamed. */
  readonly peakOpenCalls = new Map<number, number>();
  readonly peakOpenCallsOfUser = new Map<number, number>();
  endlessCut = 0;
  /**
   * The cap of calls running at once that the identity names (`running_calls_per_user`); undefined: the recorded
   * answer's, null: none named (an older addon). 0 unless a test sets it, so the tests of a key's share of Odoo
   * are not bounded by its user's cap. The stand-in only names it: holding calls to it is the sidecar's.
   */
  runningCallsPerUser: number | null | undefined = 0;
  private readonly openCalls = new Map<number, number>();
  private readonly openCallsOfUser = new Map<number, number>();
  private openCancels = 0;
  /** The slow calls running now, by the request_id they were relayed with, to stop when a test says Odoo did. */
  private readonly running = new Set<{ requestId: unknown; stop: AbortController; cancelled: boolean }>();
  private readonly chosen = new Map<string, string[]>();
  private readonly chosenCancels = new Map<string, string[]>();
  private readonly keys: StandInKey[];
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

  /** The next calls of tool or prompt `name` get these recorded answers (fixture names), in order. */
  serve(name: string, ...fixtures: string[]): void {
    this.chosen.set(name, [...(this.chosen.get(name) ?? []), ...fixtures]);
  }

  /** The next `cancel`s naming `requestId` get these recorded answers (fixture names), in order; unchosen, Odoo's
   * `cancel-nothing-running`. One that says `cancelled: true` stops the slow calls relayed with that request_id,
   * which then answer Odoo's `call-cancelled`. */
  serveCancel(requestId: string, ...fixtures: string[]): void {
    this.chosenCancels.set(requestId, [...(this.chosenCancels.get(requestId) ?? []), ...fixtures]);
  }

  revoke(secret: string): void {
    const i = this.keys.findIndex((k) => k.key === secret);
    if (i >= 0) this.keys.splice(i, 1);
  }

  /** Starts listening (on the same port again after `stop`, so a sidecar finds it back). */
  async start(): Promise<string> {
    // a request no answer covers, or a fixture the stand-in no longer follows: a loud 500, not a hang
    const server = createServer((req, res) => void this.handle(req, res).catch((err: Error) => {
      console.error(`odoo stand-in: ${err.message}`);
      if (!res.headersSent) this.send(res, 500, { contract: 1, error: { code: 'internal_error', message: `stand-in: ${err.message}` } });
      else res.destroy();
    }));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.destroyed) return;
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers }).end(text);
  }

  /** Answers with fixture `name`'s response, its error message's texts changed by `put`. */
  private answerAs(res: ServerResponse, name: string, put: Record<string, string> = {}): Exchange['response'] {
    const { status, body, headers } = fixture(name).response;
    const error = body.error as { message: string } | undefined;
    const answer = { status, headers, body: error ? { ...body, error: { ...error, message: errorMessage(name, put) } } : body };
    this.send(res, status, answer.body, headers);
    return answer;
  }

  private toolsFor(key: StandInKey): Record<string, unknown>[] {
    return (key.tools ?? USERS.find((u) => u.id === key.userId)!.tools).filter((t) => !key.allowedTools || key.allowedTools.includes(t))
      .map((t): Record<string, unknown> => ({ ...TOOLS[t]!, ...(this.extraToolDescription ? { description: `${String(TOOLS[t]!.description)} ${this.extraToolDescription}` } : {}) }))
      .sort((a, b) => String(a.name).localeCompare(String(b.name)));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0]!;
    const { authorization, ...headers } = req.headers;
    this.headersSeen.push(headers);
    if (this.mode === 'garbage') return void res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>Odoo Server Error</html>');
    if (this.mode === 'error') return this.send(res, 500, { contract: 1, error: { code: 'internal_error', message: 'Something went wrong in Odoo' } });
    if (path === '/llm_mcp/v1/health') {
      if (req.method !== 'GET') return void this.answerAs(res, 'health-method-not-allowed');
      this.counts.health += 1;
      return this.send(res, 200, { ...fixture('health').response.body, database: this.database, oauth: this.oauth });
    }
    const route = path.replace(/^\/llm_mcp\/v1\//, '');
    if (route === path || !['identity', 'tools', 'call', 'cancel', 'prompts', 'prompt', 'complete', 'resources', 'resource_templates', 'resource'].includes(route)) {
      return void res.writeHead(404, { 'Content-Type': 'text/html' }).end('<html>404 Not Found</html>');
    }
    if (req.method !== 'POST') return void this.answerAs(res, 'identity-method-not-allowed');
    this.authorizations.push(authorization ?? '');
    const key = this.keys.find((k) => authorization === `Bearer ${k.key}`);
    if (!key) {
      this.counts.unauthorized += 1;
      return void this.answerAs(res, 'identity-unauthorized');
    }
    const user = USERS.find((u) => u.id === key.userId)!;
    if (req.headers['x-llm-mcp-token'] === `stand-in-token-${key.id}`) this.counts.fastPath += 1;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body: Record<string, unknown> | undefined;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch { /* answered below as Odoo answers a body that is not an object */ }
    const named = typeof body?.name === 'string' ? body.name : undefined;
    const audited = route === 'call' || route === 'prompt' || route === 'resource';
    const audit = (answer: Exchange['response'], outcome?: AuditRow['outcome']) => {
      if (!audited) return;
      const b = answer.body as { error?: { message: string }; isError?: boolean; confirmation?: unknown; content?: Array<{ text: string }> };
      outcome ??= answer.status === 429 ? 'rate_limited' : b.confirmation ? 'confirmation_requested' : answer.status === 403 ? 'denied'
        : answer.status === 409 ? 'cancelled' : b.error ? 'invalid' : b.isError ? 'tool_error' : 'ok';
      const message = b.error?.message ?? (b.isError ? b.content?.[0]?.text : undefined);
      this.audit.push({ ...(route === 'prompt' ? { kind: 'prompt' as const } : {}), ...(route === 'resource' ? { uri: body?.uri } : {}),
        tool: route === 'resource' ? 'resources/read' : named, outcome,
        userId: user.id, keyId: key.id, client: body?.client, request_id: body?.request_id, ...(message ? { message } : {}) });
    };
    if (!this.mcpEnabled) return audit(this.answerAs(res, 'tools-mcp-disabled'), 'denied');
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return audit(this.answerAs(res, 'call-not-an-object'));
    if (route === 'identity') {
      this.counts.identity += 1;
      const { running_calls_per_user: recordedCap, ...real } = fixture('identity').response.body;
      const cap = this.runningCallsPerUser === undefined ? recordedCap : this.runningCallsPerUser;
      return this.send(res, 200, { ...real, ...(cap === null ? {} : { running_calls_per_user: cap }), user: { ...(real.user as object), id: user.id, login: user.login, name: user.name }, database: this.database,
        key: { id: key.id, name: key.name, scope: key.scope, read_only: key.readOnly, allowed_tools: key.allowedTools },
        server: { name: 'Odoo MCP (stand-in)', instructions: 'Tools of an Odoo 18 database.' }, tools_fingerprint: this.fingerprint(key),
        token: `stand-in-token-${key.id}`, token_expires_at: new Date(Date.now() + 600_000).toISOString() });
    }
    if (route === 'tools') {
      this.counts.tools += 1;
      return this.send(res, 200, { contract: 1, fingerprint: this.fingerprint(key), tools: this.toolsFor(key) });
    }
    if (route === 'prompts') {
      // pages of 3 (the cursor is an offset), so the sidecar's following of Odoo's pages is exercised
      this.promptCounts.prompts += 1;
      const offset = Number(body.cursor ?? 0);
      const mine = user.prompts.map((p) => PROMPTS[p]!);
      return this.send(res, 200, { contract: 1, prompts: mine.slice(offset, offset + 3), ...(offset + 3 < mine.length ? { nextCursor: String(offset + 3) } : {}) });
    }
    if (route === 'resource_templates') {
      return this.send(res, 200, { contract: 1, resourceTemplates: [...(fixture('resource-templates').response.body.resourceTemplates as object[]), ...DATA.resourceTemplates] });
    }
    if (route === 'cancel') return this.cancel(res, key, body);
    if (route === 'prompt') this.promptCounts.prompt += 1;
    if (route === 'complete') this.promptCounts.complete += 1;
    if (route === 'call') {
      this.counts.call += 1;
      this.calls.push({ ...body, name: String(body.name), arguments: structuredClone(body.arguments ?? {}), userId: user.id });
      const open = (this.openCalls.get(key.id) ?? 0) + 1;
      this.openCalls.set(key.id, open);
      this.peakOpenCalls.set(key.id, Math.max(open, this.peakOpenCalls.get(key.id) ?? 0));
      res.on('close', () => this.openCalls.set(key.id, (this.openCalls.get(key.id) ?? 1) - 1));
      const ofUser = (this.openCallsOfUser.get(user.id) ?? 0) + 1;
      this.openCallsOfUser.set(user.id, ofUser);
      this.peakOpenCallsOfUser.set(user.id, Math.max(ofUser, this.peakOpenCallsOfUser.get(user.id) ?? 0));
      res.on('close', () => this.openCallsOfUser.set(user.id, (this.openCallsOfUser.get(user.id) ?? 1) - 1));
    }
    // What the key may not reach is Odoo's unknown tool or prompt (audited `denied`, or `invalid` for no such one)
    const unknown = (fixtureName: string) => audit(this.answerAs(res, fixtureName, { [`'no_such_${route === 'call' ? 'tool' : 'prompt'}'`]: `'${named}'` }),
      Object.hasOwn(route === 'call' ? TOOLS : PROMPTS, named!) ? 'denied' : 'invalid');
    if (route === 'call' && named && !this.toolsFor(key).some((t) => t.name === named)) return unknown('call-unknown-tool');
    if (route === 'prompt' && named && !user.prompts.includes(named)) return unknown('prompt-unknown');
    const asked = requestOf(path, body);
    const chosen = named ? this.chosen.get(named)?.shift() : undefined;
    const own = chosen ? undefined : DATA.answers.find((a) => answers(a, path, body, user.login));
    if (own) return audit((this.send(res, own.response.status, own.response.body), own.response));
    // how a confirmation is to be asked (confirm_with) matters only to a call that needs one, whose answers are
    // recorded with it: any other call is looked up without it, as a client that can elicit sends it on every call
    const recorded = chosen ?? RECORDED.get(asked) ?? (body.confirm_with === undefined ? undefined : RECORDED.get(requestOf(path, { ...body, confirm_with: undefined })));
    if (recorded) return audit(this.answerAs(res, recorded));
    if (route === 'call' && named) return this.runFailureTool(res, body, named, audit);
    if (route === 'prompt') return unknown('prompt-unknown');
    if (route === 'complete') return void this.answerAs(res, 'complete-unknown-reference', { "'no_such_prompt'": `'${String((body.ref as { name?: unknown })?.name)}'` });
    if (route === 'resource') return audit(this.answerAs(res, 'resource-unknown', { 'odoo://res.partner/999999999': String(body.uri) }));
    throw new Error(`no answer recorded for ${asked.slice(0, 300)}: add one to standInAnswers.json or choose a fixture (serve)`);
  }

  private fingerprint(key: StandInKey): string {
    return createHash('sha256').update(JSON.stringify(this.toolsFor(key))).digest('hex');
  }

  /** The tools that play Odoo slow, big or endless, and stop when Odoo cancelled them (`serveCancel`) or cut off. */
  private async runFailureTool(res: ServerResponse, body: Record<string, unknown>, name: string,
    audit: (answer: Exchange['response']) => void): Promise<void> {
    const args = (body.arguments ?? {}) as { ms?: number; bytes?: number };
    const run = { requestId: body.request_id, stop: new AbortController(), cancelled: false };
    res.on('close', () => {
      if (res.writableFinished) return;
      run.stop.abort();
      this.cancellations.push(String(body.request_id));
    });
    if (name === 'endless_answer') return this.streamEndlessly(res);
    if (name !== 'slow_echo' && name !== 'big_answer') throw new Error(`no answer recorded for the call ${JSON.stringify(body).slice(0, 300)}`);
    this.running.add(run);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, args.ms ?? 0);
      run.stop.signal.addEventListener('abort', () => resolve(clearTimeout(timer)));
    });
    this.running.delete(run);
    if (run.cancelled) return audit(this.answerAs(res, 'call-cancelled'));
    if (run.stop.signal.aborted) return audit({ status: 200, body: { isError: true, content: [{ text: 'cut off' }] } }); // the sidecar hung up
    const structured = name === 'slow_echo' ? { slept: args.ms } : { data: 'x'.repeat(Number(args.bytes)) };
    const answer = { status: 200, body: { contract: 1, content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: structured, isError: false } };
    audit((this.send(res, 200, answer.body), answer));
  }

  /** Odoo's cancel route, answered as the test chose (`serveCancel`): what the sidecar sent is recorded. */
  private async cancel(res: ServerResponse, key: StandInKey, body: Record<string, unknown>): Promise<void> {
    const { request_id: requestId, cancel_scope: scope } = body;
    this.cancelRequests.push({ userId: key.userId, keyId: key.id, requestId, ...(scope === undefined ? {} : { scope }) });
    const answer = this.chosenCancels.get(String(requestId))?.shift() ?? 'cancel-nothing-running';
    if (fixture(answer).response.body.cancelled === true) {
      for (const run of this.running) {
        if (run.requestId !== requestId) continue;
        run.cancelled = true;
        run.stop.abort();
      }
    }
    this.peakOpenCancels = Math.max(this.peakOpenCancels, ++this.openCancels);
    await new Promise((resolve) => setTimeout(resolve, this.cancelDelayMs));
    this.openCancels -= 1;
    this.answerAs(res, answer);
  }

  private streamEndlessly(res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'application/json' }); // chunked: no Content-Length to refuse up front
    res.write('{"contract": 1, "isError": false, "content": [{"type": "text", "text": "');
    const more = () => {
      if (res.destroyed) return;
      if (res.write('x'.repeat(64 * 1024))) setImmediate(more);
      else res.once('drain', more);
    };
    res.on('close', () => void (res.writableFinished || (this.endlessCut += 1)));
    more();
  }
}
