// Users and keys for the end-to-end suite, made through Odoo's ORM (the wizard's path needs an interactive
// identity check). Created once per run by hooks.ts; every key expires after a day and has a unique name.
import { orm } from './stack.js';

export interface KeyFixture {
  key: string;
  name: string;
  apikeyId: number;
  scope: string | null;
}

export interface Fixtures {
  adminId: number;
  restrictedId: number;
  /** admin's MCP key (an MCP-scoped key when the addon offers create_mcp_key, else a global key) */
  admin: KeyFixture;
  /** a user with only "Internal User" rights: no Sales */
  restricted: KeyFixture;
  /** admin's key with the read_only restriction */
  readOnly: KeyFixture;
  /** admin's key that the revocation test revokes */
  revocable: KeyFixture;
  /** the per-user rate limit before the run (put back by restoreRateLimits) */
  userCallsPerMinuteBefore: number;
  runningCallsPerUserBefore: number;
}

export const fixtures = {} as Fixtures;

/** The tool the fixtures limit to Sales users. */
export const SALES_ONLY_TOOL = 'odoo_call_method';
/** Tools of the addon the tests call by name. */
export const SEARCH_TOOL = 'odoo_search';
export const CREATE_TOOL = 'odoo_create';
/** Arguments of SEARCH_TOOL that find demo companies. */
export const DEMO_COMPANIES = { model: 'res.partner', domain: [['is_company', '=', true]], limit: 80 };
export const DEMO_COMPANY_NAMES = /Azure Interior|Deco Addict|Gemini Furniture/;

export async function createFixtures(): Promise<void> {
  Object.assign(fixtures, await orm<Fixtures>(`
import datetime, time
stamp = '%d' % (time.time() * 1000)
expiry = datetime.datetime.now() + datetime.timedelta(days=1)
admin = env.ref('base.user_admin')
Users = env['res.users'].with_context(no_reset_password=True)
restricted = Users.search([('login', '=', 'e2e_restricted')])
if not restricted:
    restricted = Users.create({
        'name': 'E2E Restricted', 'login': 'e2e_restricted', 'email': 'e2e_restricted@example.com',
        'groups_id': [(6, 0, [env.ref('base.group_user').id])],
    })
assert not restricted.has_group('sales_team.group_sale_salesman'), 'the restricted user must not have Sales rights'
assert admin.has_group('sales_team.group_sale_manager'), 'admin must have Sales rights'

# Tools can be limited to groups (llm.tool.group_ids): give "Call a model method" to Sales users only, so the two
# users' tool lists differ by Odoo's decision.
sales_user = env.ref('sales_team.group_sale_salesman')
env['llm.tool'].search([('name', '=', 'odoo_call_method')]).write({'group_ids': [(6, 0, [sales_user.id])]})

# The suite is one heavy user: hundreds of calls of admin's keys, more than 30 writes in some minutes on a fast
# machine. Its keys get limits no test reaches and the per-user limit is off for the run; the rate-limit test
# makes keys of its own with the settings' limits.
config = env['llm.mcp.config'].get_config()
user_calls_before = config.rate_user_calls_per_minute
config.rate_user_calls_per_minute = 0
# and admin runs many calls at once (the replicas' load: 128 clients); the cap's own test sets it for its calls
running_before = config.running_calls_per_user
config.running_calls_per_user = 0
SUITE_LIMITS = {'calls_per_minute': 100000, 'writes_per_minute': 100000}

def make_key(user, label, **restrictions):
    name = 'e2e %s %s' % (label, stamp)
    restrictions = dict(SUITE_LIMITS, **restrictions) if user.has_group('llm.group_llm_manager') else restrictions
    if 'llm.mcp.key' in env and hasattr(env['llm.mcp.key'], 'create_mcp_key'):
        key = env['llm.mcp.key'].with_user(user).create_mcp_key(name, expiry, **restrictions)
    else:
        assert not restrictions, 'restricted keys need llm.mcp.key.create_mcp_key'
        key = env['res.users.apikeys'].with_user(user)._generate(None, name, expiry)
    row = env['res.users.apikeys'].search([('name', '=', name), ('user_id', '=', user.id)])
    return {'key': key, 'name': name, 'apikeyId': row.id, 'scope': row.scope or None}

result({
    'adminId': admin.id,
    'restrictedId': restricted.id,
    'admin': make_key(admin, 'admin'),
    'restricted': make_key(restricted, 'restricted'),
    'readOnly': make_key(admin, 'read-only', read_only=True),
    'revocable': make_key(admin, 'revocable'),
    'userCallsPerMinuteBefore': user_calls_before,
    'runningCallsPerUserBefore': running_before,
})
`));
}

/** Puts the per-user rate limit and calls running at once back as they were before createFixtures. */
export async function restoreRateLimits(): Promise<void> {
  if (fixtures.userCallsPerMinuteBefore === undefined) return;
  await orm(`
env['llm.mcp.config'].get_config().write({
    'rate_user_calls_per_minute': ${Number(fixtures.userCallsPerMinuteBefore)},
    'running_calls_per_user': ${Number(fixtures.runningCallsPerUserBefore ?? 2)},
})
result(True)
`);
}

/** A server action on contacts made an LLM tool by its "Use as LLM Tool" button, and the contact it runs on. */
export interface ServerActionFixture { tool: string; toolId: number; actionId: number; partnerId: number }

/** Removes what a test made for its server-action tool: the tool, the action and the contact (so that other
 * tests' tool lists stay put). Nothing to do when the test's setup failed before making it. */
export async function removeServerActionFixture(fixture: ServerActionFixture | undefined): Promise<void> {
  if (!fixture) return;
  await orm(`
env['llm.tool'].browse(${Number(fixture.toolId)}).unlink()
env['ir.actions.server'].browse(${Number(fixture.actionId)}).unlink()
env['res.partner'].browse(${Number(fixture.partnerId)}).unlink()
result(True)`);
}
