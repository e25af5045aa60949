// A client that knows only the MCP URL signs in with OAuth, as claude.ai or ChatGPT would: the 2.x SDK client
// with its own OAuthClientProvider runs discovery (401 → protected-resource metadata → Odoo's authorization
// server metadata), Dynamic Client Registration, and the authorization-code + PKCE flow; headless Chromium
// (puppeteer-core) does the person's part — Odoo's own login page, then the consent page. Then tools/list and
// tools/call as that person, a refresh, and revocation, after which the client is locked out.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
import { e2e, mcpUrl, orm, proxyUrl } from './stack.js';

const CHROMIUM = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';

/** An OAuth client's memory, in memory: what a desktop client keeps between runs. */
class MemoryProvider implements OAuthClientProvider {
  client: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = '';
  discovery: OAuthDiscoveryState | undefined;
  authorizationUrl: URL | undefined;
  constructor(readonly redirectUrl: string) {}

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'e2e SDK 2.x client', redirect_uris: [this.redirectUrl], grant_types: ['authorization_code', 'refresh_token'],
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
      const tools = (await client.listTools()).tools;
      assert.ok(tools.some((t) => t.name === SEARCH_TOOL));
      assert.ok(tools.every((t) => t.annotations?.readOnlyHint === true), 'read-only was chosen on the consent page');
      const result = await client.callTool({ name: SEARCH_TOOL, arguments: DEMO_COMPANIES });
      assert.equal(result.isError, false, JSON.stringify(result).slice(0, 300));
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
    const old = p.saved!;
    assert.equal(await auth(p, { serverUrl: mcpUrl }), 'AUTHORIZED');
    assert.notEqual(p.saved!.refresh_token, old.refresh_token, 'refresh tokens rotate');
    assert.notEqual(p.saved!.access_token, old.access_token);
    assert.equal((await rawMcp(p.saved!.access_token)).status, 200);
    // the old access token is deleted in Odoo at once; the sidecar trusts a checked key for its cache time
    assert.equal(await statusWithin(old.access_token, 401, e2e.authCacheTtlMs + 2000), 401, 'the old access token still works');
  });

  it(`is locked out within the sidecar's cache time (${e2e.authCacheTtlMs} ms) after revocation (RFC 7009)`, async () => {
    const p = provider.current!;
    const { access_token: access, refresh_token: refresh } = p.saved!;
    const metadata = p.discovery?.authorizationServerMetadata as { revocation_endpoint?: string } | undefined;
    const revocation = metadata?.revocation_endpoint;
    assert.ok(revocation, 'the authorization server metadata names a revocation endpoint');
    const res = await fetch(revocation, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: refresh!, client_id: p.client!.client_id }) });
    assert.equal(res.status, 200);
    const revokedAt = Date.now();
    assert.equal(await statusWithin(access, 401, e2e.authCacheTtlMs + 2000), 401, 'still served after revocation');
    console.log(`      locked out ${Date.now() - revokedAt} ms after revocation`);
    // and the refresh token is dead: the SDK cannot get new tokens without the person
    const token = await fetch(p.discovery!.authorizationServerMetadata!.token_endpoint, { method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refresh!, client_id: p.client!.client_id }) });
    assert.equal(token.status, 400);
    assert.equal(((await token.json()) as { error: string }).error, 'invalid_grant');
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
