// TEST CODE ONLY. Starts the real sidecar (the same createSidecar as `npm start`) on a loopback port
// against a given Odoo URL, capturing its log lines so tests can read them.

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig, type Config } from '../../sidecar/src/config.js';
import { createSidecar, type Sidecar } from '../../sidecar/src/http/app.js';
import { answerClientErrors } from '../../sidecar/src/http/clientErrors.js';
import { createLogger } from '../../sidecar/src/log.js';
import { OdooStandIn } from './odooStandIn.js';

export interface RunningSidecar extends Sidecar {
  url: string;
  mcpUrl: string;
  config: Config;
  logs: string[];
  close(): Promise<void>;
}

export async function startSidecar(odooUrl: string, env: Record<string, string> = {}): Promise<RunningSidecar> {
  const config = loadConfig({ ODOO_URL: odooUrl, PORT: '0', LOG_LEVEL: 'debug', ...env });
  const logs: string[] = [];
  const log = createLogger(config.logLevel, (line) => logs.push(line));
  const sidecar = createSidecar(config, log, '0.0.0-test');
  const server: Server = await new Promise((resolve, reject) => {
    const s = sidecar.app.listen(0, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  answerClientErrors(server, log);
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    ...sidecar,
    url,
    mcpUrl: `${url}/mcp`,
    config,
    logs,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sidecar.mcp.close();
    },
  };
}

/** How `sidecarOnStandIn` sets up: the stand-in's own options, and whether every test gets a fresh pair. */
export interface StandInSuiteOptions {
  /** Passed to `new OdooStandIn(…)`: another database name, other keys. */
  standIn?: ConstructorParameters<typeof OdooStandIn>[0];
  /** A new stand-in and sidecar for every test (beforeEach/afterEach), for tests that change or break them. */
  eachTest?: boolean;
}

/**
 * A contract stand-in and a sidecar relaying to it, started before the calling suite's tests (or each of them)
 * and stopped after (mocha hooks of the enclosing `describe`); `env` goes to the sidecar's configuration.
 */
export function sidecarOnStandIn(
  env: Record<string, string> = {},
  options: StandInSuiteOptions = {},
): { readonly odoo: OdooStandIn; readonly sidecar: RunningSidecar } {
  const running = {} as { odoo: OdooStandIn; sidecar: RunningSidecar };
  (options.eachTest ? beforeEach : before)(async () => {
    running.odoo = new OdooStandIn(options.standIn);
    await running.odoo.start();
    running.sidecar = await startSidecar(running.odoo.url, env);
  });
  (options.eachTest ? afterEach : after)(async () => {
    await running.sidecar?.close();
    await running.odoo?.stop();
  });
  return running;
}
