// Entry point: read the configuration, start the HTTP server, stop gracefully on SIGTERM/SIGINT.

import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { ConfigError, loadConfig } from './config.js';
import { createSidecar } from './http/app.js';
import { answerClientErrors } from './http/clientErrors.js';
import { createLogger } from './log.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

function main(): void {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`llm_mcp_server sidecar: bad configuration: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  const { app, mcp } = createSidecar(config, log, packageVersion());
  const server = app.listen(config.port, config.host);
  answerClientErrors(server, log);
  // Longer than a reverse proxy's upstream keep-alive (nginx: 60 s), so the proxy never reuses a socket
  // this server is closing at the same moment.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.on('listening', () => {
    const { address, port } = server.address() as AddressInfo;
    // Always said, whatever LOG_LEVEL: where to point clients and which Odoo is used.
    process.stderr.write(
      JSON.stringify({ time: new Date().toISOString(), level: 'info', msg: 'listening', url: `http://${address.includes(':') ? `[${address}]` : address}:${port}/mcp`, odooUrl: config.odooUrl }) + '\n',
    );
  });
  server.on('error', (err) => {
    process.stderr.write(`llm_mcp_server sidecar: cannot listen on ${config.host}:${config.port}: ${err.message}\n`);
    process.exit(1);
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    // Stop accepting, let in-flight requests finish, then leave; force after the grace period.
    const force = setTimeout(() => {
      server.closeAllConnections();
      process.exit(0);
    }, config.shutdownGraceMs);
    force.unref();
    server.close(() => {
      void mcp.close().finally(() => process.exit(0));
    });
    // Keep-alive connections become idle as their last response ends; close them then, not at the client's leisure.
    server.closeIdleConnections();
    setInterval(() => server.closeIdleConnections(), 50).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main();
