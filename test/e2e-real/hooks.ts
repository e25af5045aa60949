// Root hooks of the end-to-end suite: bring the real stack up (scripts/stack.sh, own state folder and ports),
// make users and keys through the ORM, and take everything down at the end so nothing is left running.
import { createFixtures, restoreRateLimits } from './fixtures.js';
import { e2e, mcpUrl, stack } from './stack.js';

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(900_000); // a fresh database takes about a minute and a half on 2 cores
    console.log(`e2e: starting the stack (state ${e2e.stateDir}, ${mcpUrl})`);
    await stack('up');
    await stack('status'); // exits non-zero when a part does not answer
    await createFixtures();
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(120_000);
    await restoreRateLimits();
    if (process.env.E2E_KEEP_STACK === '1') return console.log('e2e: E2E_KEEP_STACK=1, leaving the stack up');
    await stack('down');
  },
};
