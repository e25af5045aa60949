// What the model has to read: our search tool's answer (default fields) against the raw all-fields
// search_read of the same records.
import { postJson } from './http.js';
import { mcpToolResult, parse, QUERY, type Target } from './targets.js';

export async function responseSizes(callTarget: Target, odooUrl: string, cookie: string) {
  const ours = JSON.parse(callTarget.body) as { params: { arguments: unknown } };
  ours.params.arguments = { model: QUERY.model, domain: QUERY.domain, limit: QUERY.limit }; // no `fields`: the tool's defaults
  const oursReply = await postJson(callTarget.url, JSON.stringify(ours), callTarget.headers);
  const result = mcpToolResult(oursReply);
  const text = result.content.map((c) => c.text ?? '').join('');
  const records = result.structuredContent?.records ?? [];

  const raw = await postJson(`${odooUrl}/web/dataset/call_kw/res.partner/search_read`, {
    jsonrpc: '2.0', method: 'call', id: 1,
    params: { model: QUERY.model, method: 'search_read', args: [], kwargs: { domain: QUERY.domain, limit: QUERY.limit } },
  }, { cookie });
  const rawRecords = parse<Record<string, unknown>[]>(raw.body).result ?? [];
  const rawBytes = Buffer.byteLength(JSON.stringify(rawRecords));
  const ourBytes = Buffer.byteLength(text);
  return {
    records: records.length,
    raw_records: rawRecords.length,
    our_fields: records[0] ? Object.keys(records[0]) : [],
    raw_field_count: rawRecords[0] ? Object.keys(rawRecords[0]).length : 0,
    our_bytes: ourBytes,
    raw_all_fields_bytes: rawBytes,
    ratio: Math.round((ourBytes / rawBytes) * 1000) / 1000,
  };
}
