// /healthz: the process is alive. /readyz: Odoo answers and the addon speaks contract 1 (and, when ODOO_DB
// is set, serves that database) — what a load balancer should know before sending traffic here. Both are for
// the operator's network (the proxy does not forward them), so /readyz names Odoo's URL and database.

import type Router from '@koa/router';
import { logDetail, wrongDatabase } from '../errors.js';
import type { OdooClient } from '../odoo/client.js';

export function addHealthRoutes(router: Router, odoo: OdooClient, odooDb: string | undefined): void {
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    try {
      const health = await odoo.health();
      const refusal = wrongDatabase(odoo.baseUrl, health.database, odooDb);
      if (refusal) throw refusal;
      ctx.body = { status: 'ready', odoo: { url: odoo.baseUrl, ...health } };
    } catch (err) {
      ctx.status = 503;
      ctx.body = { status: 'unavailable', error: logDetail(err) };
    }
  });
}
