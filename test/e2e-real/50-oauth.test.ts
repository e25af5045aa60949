// A client that knows only the MCP URL signs in with OAuth, as claude.ai or ChatGPT would: the 2.x SDK client
// with its own OAuthClientProvider runs discovery (401 → protected-resource metadata → Odoo's authorization
// server metadata), Dynamic Client Registration, and the authorization-code + PKCE flow; headless Chromium
// (puppeteer-core) does the person's part — Odoo's own login page, then the consent page. Then tools/list and
// tools/call as that person, a refresh, and revocation, after which the client is locked out. The same with a
// Client ID Metadata Document (the client_id an https URL this test serves on loopback, fetched by Odoo), with
// the 1.x SDK client at a 2025 protocol version, and with mcp-remote.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { auth as legacyAuth, UnauthorizedError as LegacyUnauthorizedError,
  type OAuthClientProvider as LegacyOAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  Client,
  StreamableHTTPClientTransport,
  UnauthorizedError,
  auth,
  type OAuthClientInformationMixed,
  type OAuthClientMetadata,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
  type OAuthTokens,
} from '@modelcontextprotocol/client';
import puppeteer, { type Browser } from 'puppeteer-core';
import { MODERN_VERSION, StdioClient } from './clients.js';
import { DEMO_COMPANIES, SEARCH_TOOL } from './fixtures.js';
import { e2e, mcpUrl, orm, proxyUrl, tls } from './stack.js';

const CHROMIUM = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';

/** An OAuth client's memory, in memory: what a desktop client keeps between runs. */
class MemoryProvider implements OAuthClientProvider {
  client: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = '';
  discovery: OAuthDiscoveryState | undefined;
  authorizationUrl: URL | undefined;
  /** With a metadata document URL the SDK uses it as client_id when the server supports that (no registration). */
  constructor(readonly redirectUrl: string, readonly clientName = 'e2e SDK 2.x client', readonly clientMetadataUrl?: string) {}

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: this.clientName, redirect_uris: [this.redirectUrl], grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'], token_endpoint_auth_method: 'none',
    };
  }
  state() { return 'e2e-state-42'; }
  clientInformation() { return this.client; }
  saveClientInformation(info: OAuthClientInformationMixed) { this.client = info; }
  tokens() { return this.saved; }
  saveTokens(tokens: OAuthTokens) { this.saved = tokens; }
  redirectToAuthorization(url: URL) { this.authorizationUrl = url; }
  saveCodeVerifier(verifier: string) { this.verifier = verifier; }
  codeVerifier() { return this.verifier; }
  saveDiscoveryState(state: OAuthDiscoveryState) { this.discovery = state; }
  discoveryState() { return this.discovery; }
}

/** The redirect URI's listener: a loopback page that receives the authorization response, as native apps do. */
async function callbackServer(): Promise<{ url: string; next: Promise<URLSearchParams>; close(): Promise<void> }> {
  let deliver!: (q: URLSearchParams) => void;
  const next = new Promise<URLSearchParams>((resolve) => { deliver = resolve; });
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback') return void res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': 'text/html' }).end('<p>You can close this window.</p>');
    deliver(url.searchParams);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/callback`, next,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

/** The person's part in the browser: Odoo's own login page (fresh browser context), then Allow on the consent page. */
async function signInAndAllow(browser: Browser, url: string, opts: { readOnly: boolean; clientName: string }) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  try {
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    assert.match(page.url(), /\/web\/login\?redirect=/, 'Odoo asks for its own login first');
    // Odoo's login form is hidden until its user-switch widget has rendered (typing earlier loses letters)
    await page.waitForSelector('form.oe_login_form:not(.d-none) #login', { visible: true });
    await page.type('#login', 'admin');
    await page.type('#password', 'admin');
    await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }), page.click('form.oe_login_form button[type=submit]')]);
    await page.waitForSelector('.o_llm_mcp_oauth_consent');
    assert.equal(await page.$eval('.o_llm_mcp_oauth_client_name', (el) => el.textContent?.trim()), opts.clientName);
    assert.match(await page.$eval('.o_llm_mcp_oauth_redirect_host', (el) => el.textContent ?? ''), /^(127\.0\.0\.1|localhost):\d+$/);
    if (opts.readOnly) await page.click('#read_only');
    await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }), page.click('.o_llm_mcp_oauth_allow')]);
  } finally {
    await context.close();
  }
}

function rawMcp(token?: string) {
  return fetch(mcpUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream',
      'MCP-Protocol-Version': '2025-11-25', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
  });
}

/** The status /mcp gives ``token`` once it is ``wanted``, polling up to ``ms`` (or the last status seen). */
async function statusWithin(token: string, wanted: number, ms: number): Promise<number> {
  const started = Date.now();
  let status = 0;
  while (Date.now() - started < ms) {
    status = (await rawMcp(token)).status;
    if (status === wanted) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return status;
}

async function connectWith(provider: MemoryProvider) {
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider });
  const client = new Client({ name: 'e2e-oauth-2.x', version: '2.4.0' }, { versionNegotiation: { mode: { pin: MODERN_VERSION } } });
  await client.connect(transport);
  return { client, transport };
}

/** What a token granted read-only on the consent page gives either SDK client: read-only tools, and a search. */
async function searchesReadOnly(client: {
  listTools(): Promise<{ tools: Array<{ name: string; annotations?: { readOnlyHint?: boolean } }> }>;
  callTool(params: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
}): Promise<void> {
  const tools = (await client.listTools()).tools;
  assert.ok(tools.some((t) => t.name === SEARCH_TOOL));
  assert.ok(tools.every((t) => t.annotations?.readOnlyHint === true), 'read-only was chosen on the consent page');
  const result = await client.callTool({ name: SEARCH_TOOL, arguments: DEMO_COMPANIES }) as { isError?: boolean };
  assert.equal(result.isError, false, JSON.stringify(result).slice(0, 300));
}

function launchBrowser() {
  return puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

/** The person's answer at the redirect URI, checked the way a client must (state, RFC 9207 iss); the code. */
async function codeFrom(callback: Awaited<ReturnType<typeof callbackServer>>, state: string): Promise<string> {
  const answer = await callback.next;
  assert.equal(answer.get('state'), state);
  assert.equal(answer.get('iss'), proxyUrl);
  const code = answer.get('code');
  assert.ok(code, `no code: ${answer.toString()}`);
  return code;
}

/** The Odoo user and OAuth client (name, how registered) of the newest audit row of ``clientId``. */
function auditedAs(clientId: string) {
  return orm<{ user: string; client: string; registration: string }>(`
row = env['llm.mcp.call'].search([('oauth_client_id.client_id', '=', ${JSON.stringify(clientId)})], limit=1)
result({'user': row.user_id.login, 'client': row.oauth_client_id.name, 'registration': row.oauth_client_id.registration})
`);
}

/** RFC 7009 revocation of the refresh token, then: the access token stops within the sidecar's cache time, and
 * the refresh token gets no new tokens. */
async function revokeAndExpectLockout(tokens: OAuthTokens, clientId: string, metadata: { revocation_endpoint?: string; token_endpoint: string }) {
  const { access_token: access, refresh_token: refresh } = tokens;
  assert.ok(metadata.revocation_endpoint, 'the authorization server metadata names a revocation endpoint');
  const res = await fetch(metadata.revocation_endpoint, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: refresh!, client_id: clientId }) });
  assert.equal(res.status, 200);
  const revokedAt = Date.now();
  assert.equal(await statusWithin(access, 401, e2e.authCacheTtlMs + 2000), 401, 'still served after revocation');
  console.log(`      locked out ${Date.now() - revokedAt} ms after revocation`);
  const token = await fetch(metadata.token_endpoint, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refresh!, client_id: clientId }) });
  assert.equal(token.status, 400);
  assert.equal(((await token.json()) as { error: string }).error, 'invalid_grant');
}

/** A refresh through ``refreshWith`` (the client's own auth()): new tokens work, the old access token soon not. */
async function refreshAndExpectRotation(p: MemoryProvider, refreshWith: () => Promise<string>) {
  const old = p.saved!;
  assert.equal(await refreshWith(), 'AUTHORIZED');
  assert.notEqual(p.saved!.refresh_token, old.refresh_token, 'refresh tokens rotate');
  assert.notEqual(p.saved!.access_token, old.access_token);
  assert.equal((await rawMcp(p.saved!.access_token)).status, 200);
  // the old access token is deleted in Odoo at once; the sidecar trusts a checked key for its cache time
  assert.equal(await statusWithin(old.access_token, 401, e2e.authCacheTtlMs + 2000), 401, 'the old access token still works');
}

/**
 * A client's metadata documents on an https server of this test (loopback, the suite's test certificate, which
 * the stack's Odoo trusts): ``documents`` maps a path to the JSON served there; ``hits`` lists the paths asked.
 */
async function documentServer(documents: (origin: string) => Record<string, unknown>) {
  const hits: string[] = [];
  let served: Record<string, unknown> = {};
  const server = createHttpsServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, (req, res) => {
    hits.push(req.url ?? '');
    const body = served[req.url ?? ''];
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'max-age=300' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  served = documents(origin);
  return { origin, hits,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

describe('OAuth: a client that knows only the URL (2.x SDK client, DCR, Odoo login and consent in Chromium)', function () {
  this.timeout(180_000);
  let browser: Browser;
  let callback: Awaited<ReturnType<typeof callbackServer>>;
  const provider = { current: undefined as MemoryProvider | undefined };

  before(async () => {
    callback = await callbackServer();
    provider.current = new MemoryProvider(callback.url);
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  });
  after(async () => {
    await browser?.close();
    await callback?.close();
  });

  it('is told where to sign in by the 401 of /mcp (RFC 9728), and the metadata is Odoo\'s', async () => {
    const res = await rawMcp();
    assert.equal(res.status, 401);
    const challenge = res.headers.get('www-authenticate') ?? '';
    const prm = `${proxyUrl}/.well-known/oauth-protected-resource/mcp`;
    assert.equal(challenge, `Bearer resource_metadata="${prm}", scope="mcp"`);
    const resource = (await (await fetch(prm)).json()) as { resource: string; authorization_servers: string[] };
    assert.deepEqual(resource.authorization_servers, [proxyUrl]);
    assert.equal(resource.resource, mcpUrl);
    const as = (await (await fetch(`${proxyUrl}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    assert.equal(as.issuer, proxyUrl);
    assert.deepEqual(as.code_challenge_methods_supported, ['S256']);
    assert.equal(as.client_id_metadata_document_supported, true);
  });

  it('registers, signs in on Odoo\'s page, consents, gets tokens, and lists and calls tools as that person', async () => {
    const p = provider.current!;
    // the client tries /mcp, gets the 401, runs discovery and registration, and asks the person to sign in
    await assert.rejects(connectWith(p), (err) => err instanceof UnauthorizedError);
    assert.ok(p.client?.client_id.startsWith('mcp-'), 'registered by DCR');
    assert.ok(p.authorizationUrl, 'no authorization URL');
    assert.equal(p.authorizationUrl.searchParams.get('resource'), mcpUrl);
    assert.equal(p.authorizationUrl.searchParams.get('code_challenge_method'), 'S256');

    await signInAndAllow(browser, p.authorizationUrl.href, { readOnly: true, clientName: 'e2e SDK 2.x client' });
    const answer = await callback.next;
    assert.equal(answer.get('state'), 'e2e-state-42');
    assert.equal(answer.get('iss'), proxyUrl);
    const code = answer.get('code');
    assert.ok(code, `no code: ${answer.toString()}`);
    // the SDK checks iss against the issuer it discovered (RFC 9207), then redeems the code with PKCE + resource
    assert.equal(await auth(p, { serverUrl: mcpUrl, authorizationCode: code, iss: answer.get('iss') ?? undefined }), 'AUTHORIZED');
    assert.ok(p.saved?.access_token && p.saved.refresh_token);
    assert.ok((p.saved.expires_in ?? 0) <= 3600);

    const { client } = await connectWith(p);
    try {
      await searchesReadOnly(client);
    } finally {
      await client.close();
    }
    const audit = await orm<{ user: string; client: string }>(`
row = env['llm.mcp.call'].search([('oauth_client_id.client_id', '=', '${p.client!.client_id}')], limit=1)
result({'user': row.user_id.login, 'client': row.oauth_client_id.name})
`);
    assert.deepEqual(audit, { user: 'admin', client: 'e2e SDK 2.x client' });
  });

  it('refreshes: a new access token works, the old one no longer does', async () => {
    const p = provider.current!;
    await refreshAndExpectRotation(p, () => auth(p, { serverUrl: mcpUrl }));
  });

  it(`is locked out within the sidecar's cache time (${e2e.authCacheTtlMs} ms) after revocation (RFC 7009)`, async () => {
    const p = provider.current!;
    await revokeAndExpectLockout(p.saved!, p.client!.client_id, p.discovery!.authorizationServerMetadata!);
  });
});

describe('OAuth with a Client ID Metadata Document: the client_id is an https URL (2.x SDK client, no registration)', function () {
  this.timeout(180_000);
  const STATE = 'e2e-state-42';
  let browser: Browser;
  let callback: Awaited<ReturnType<typeof callbackServer>>;
  let docs: Awaited<ReturnType<typeof documentServer>>;
  let documentUrl: string;
  let impostorUrl: string;
  let p: MemoryProvider;

  before(async () => {
    callback = await callbackServer();
    docs = await documentServer((origin) => {
      const client = { client_name: 'e2e CIMD client', redirect_uris: [callback.url], grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'], token_endpoint_auth_method: 'none' };
      return {
        '/oauth/e2e-client.json': { client_id: `${origin}/oauth/e2e-client.json`, ...client },
        // served at one URL, claiming to be the client at another
        '/oauth/impostor.json': { client_id: `${origin}/oauth/e2e-client.json`, ...client, client_name: 'Impostor' },
      };
    });
    documentUrl = `${docs.origin}/oauth/e2e-client.json`;
    impostorUrl = `${docs.origin}/oauth/impostor.json`;
    p = new MemoryProvider(callback.url, 'e2e CIMD client', documentUrl);
    // the document is on loopback: allowed for this test only (docs/security.md)
    await orm(`env['ir.config_parameter'].set_param('llm_mcp_server.oauth_cimd_allow_private', 'True')\nresult(True)`);
    browser = await launchBrowser();
  });
  after(async () => {
    await orm(`env['ir.config_parameter'].set_param('llm_mcp_server.oauth_cimd_allow_private', False)\nresult(True)`);
    await browser?.close();
    await callback?.close();
    await docs?.close();
  });

  it('signs in with its document URL as client_id: Odoo fetches the document, the person consents, tools are listed and called', async () => {
    await assert.rejects(connectWith(p), (err) => err instanceof UnauthorizedError);
    assert.equal(p.client?.client_id, documentUrl, 'the SDK used its metadata document URL, not registration');
    assert.equal(p.authorizationUrl?.searchParams.get('client_id'), documentUrl);
    assert.equal(docs.hits.length, 0, 'the client itself never fetches its document');

    await signInAndAllow(browser, p.authorizationUrl.href, { readOnly: false, clientName: 'e2e CIMD client' });
    assert.ok(docs.hits.includes('/oauth/e2e-client.json'), 'Odoo did not fetch the metadata document');
    const code = await codeFrom(callback, STATE);
    assert.equal(await auth(p, { serverUrl: mcpUrl, authorizationCode: code, iss: proxyUrl }), 'AUTHORIZED');
    assert.ok(p.saved?.access_token && p.saved.refresh_token);

    const { client } = await connectWith(p);
    try {
      assert.ok((await client.listTools()).tools.some((t) => t.name === SEARCH_TOOL));
      const result = await client.callTool({ name: SEARCH_TOOL, arguments: DEMO_COMPANIES });
      assert.equal(result.isError, false, JSON.stringify(result).slice(0, 300));
    } finally {
      await client.close();
    }
    assert.deepEqual(await auditedAs(documentUrl), { user: 'admin', client: 'e2e CIMD client', registration: 'cimd' });
  });

  it('refreshes with the document URL as client_id: a new access token works, the old one no longer does', async () => {
    await refreshAndExpectRotation(p, () => auth(p, { serverUrl: mcpUrl }));
  });

  it(`is locked out within the sidecar's cache time (${e2e.authCacheTtlMs} ms) after revocation`, async () => {
    await revokeAndExpectLockout(p.saved!, documentUrl, p.discovery!.authorizationServerMetadata!);
  });

  it('refuses a document whose client_id is not its own URL, on the real authorize and token routes', async () => {
    const authorize = new URL(`${proxyUrl}/llm_mcp_oauth/authorize`);
    authorize.search = new URLSearchParams({ response_type: 'code', client_id: impostorUrl, redirect_uri: callback.url,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', state: STATE,
      resource: mcpUrl }).toString();
    const page = await fetch(authorize, { redirect: 'manual' });
    assert.equal(page.status, 400);
    assert.equal(page.headers.get('location'), null, 'redirected for a client whose document lies');
    assert.match(await page.text(), /client_id is not the URL it was fetched from/);
    assert.ok(docs.hits.includes('/oauth/impostor.json'), 'Odoo did not fetch the impostor document');
    const token = await fetch(`${proxyUrl}/llm_mcp_oauth/token`, { method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'x', code_verifier: 'y'.repeat(43), client_id: impostorUrl,
        redirect_uri: callback.url, resource: mcpUrl }) });
    assert.equal(((await token.json()) as { error: string }).error, 'invalid_client');
    const rows = await orm<number>(`result(env['llm.mcp.oauth.client'].search_count([('client_id', '=', ${JSON.stringify(impostorUrl)})]))`);
    assert.equal(rows, 0, 'the impostor was registered');
  });
});

describe('OAuth with the 1.x SDK client (@modelcontextprotocol/sdk 1.32.2: DCR, a 2025 protocol version)', function () {
  this.timeout(180_000);
  let browser: Browser;
  let callback: Awaited<ReturnType<typeof callbackServer>>;
  let p: MemoryProvider;
  const legacy = () => p as unknown as LegacyOAuthClientProvider;

  before(async () => {
    callback = await callbackServer();
    p = new MemoryProvider(callback.url, 'e2e SDK 1.x client');
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await callback?.close();
  });

  it('registers, has the person sign in and allow, then lists and calls tools at 2025-11-25', async () => {
    const first = new LegacyTransport(new URL(mcpUrl), { authProvider: legacy() });
    await assert.rejects(new LegacyClient({ name: 'e2e-oauth-1.x', version: '1.32.2' }).connect(first),
      (err) => err instanceof LegacyUnauthorizedError);
    assert.ok(p.client?.client_id.startsWith('mcp-'), 'registered by DCR');
    assert.equal(p.authorizationUrl?.searchParams.get('resource'), mcpUrl);
    assert.equal(p.authorizationUrl?.searchParams.get('code_challenge_method'), 'S256');

    await signInAndAllow(browser, p.authorizationUrl.href, { readOnly: true, clientName: 'e2e SDK 1.x client' });
    await first.finishAuth(await codeFrom(callback, 'e2e-state-42')); // the 1.x client's way to redeem the code
    assert.ok(p.saved?.access_token && p.saved.refresh_token);

    const transport = new LegacyTransport(new URL(mcpUrl), { authProvider: legacy() });
    const client = new LegacyClient({ name: 'e2e-oauth-1.x', version: '1.32.2' });
    await client.connect(transport);
    try {
      assert.equal(transport.protocolVersion, '2025-11-25');
      await searchesReadOnly(client);
    } finally {
      await client.close();
    }
    assert.deepEqual(await auditedAs(p.client!.client_id), { user: 'admin', client: 'e2e SDK 1.x client', registration: 'dcr' });
  });

  it('refreshes with the 1.x auth(): a new access token works, the old one no longer does', async () => {
    await refreshAndExpectRotation(p, () => legacyAuth(legacy(), { serverUrl: mcpUrl }));
  });

  it(`is locked out within the sidecar's cache time (${e2e.authCacheTtlMs} ms) after revocation`, async () => {
    await revokeAndExpectLockout(p.saved!, p.client!.client_id, p.discovery!.authorizationServerMetadata!);
  });
});

describe('OAuth with mcp-remote 0.15.1 given only the URL (its OAuth mode, as Claude Desktop would start it)', function () {
  this.timeout(180_000);
  let browser: Browser;

  before(async () => {
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  });
  after(async () => {
    await browser?.close();
  });

  it('registers, has the person sign in and allow, then lists and calls tools', async () => {
    const remote = new StdioClient('npx', ['-y', 'mcp-remote@0.15.1', mcpUrl], { BROWSER: 'true' });
    try {
      // mcp-remote meets the 401, discovers Odoo, registers and prints the authorization URL for the person
      const answer = remote.request(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {},
        clientInfo: { name: 'claude-ai', version: '0.1.0' } }, 150_000);
      let url: string | undefined;
      for (let i = 0; i < 600 && !url; i++) {
        url = /Please authorize this client by visiting:\s+(\S+)/.exec(remote.stderr)?.[1];
        if (!url) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(url, `no authorization URL from mcp-remote: ${remote.stderr.slice(-1500)}`);
      assert.ok(url.startsWith(`${proxyUrl}/llm_mcp_oauth/authorize?`), url);
      await signInAndAllow(browser, url, { readOnly: false, clientName: 'MCP CLI Proxy' });
      const init = await answer;
      assert.ok(init.result, JSON.stringify(init.error));
      remote.notify('notifications/initialized');
      const list = await remote.request(2, 'tools/list', {});
      const names = (list.result?.tools as { name: string }[] | undefined)?.map((t) => t.name) ?? [];
      assert.ok(names.includes(SEARCH_TOOL), JSON.stringify(list).slice(0, 300));
      const call = await remote.request(3, 'tools/call', { name: SEARCH_TOOL, arguments: DEMO_COMPANIES });
      assert.equal(call.result?.isError, false, JSON.stringify(call).slice(0, 300));
      assert.doesNotMatch(remote.stderr, /refresh_token"?\s*[:=]\s*"?[A-Za-z0-9_-]{20,}/, 'mcp-remote printed a token');
    } finally {
      await remote.close();
    }
  });
});
