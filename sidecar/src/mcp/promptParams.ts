// The params of prompts/get, checked here rather than by the SDK: its spec-schema check answers a value that is
// not text with -32603 and a dump of the validator's issues (an internal error, for the client's mistake). A
// prompt's arguments are text (MCP: `arguments?: { [key: string]: string }`); Odoo decides on everything else
// (which arguments exist, their values, NUL and unpaired surrogates) and audits the request.

import type { StandardSchemaV1 } from '@modelcontextprotocol/server';

export interface PromptGetParams {
  name: string;
  arguments: Record<string, string>;
}

function problemOf(params: Record<string, unknown>): string | undefined {
  if (typeof params.name !== 'string') return "'name' (the prompt's name, a string) is required.";
  const args = params.arguments;
  if (args === undefined) return undefined;
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    return "'arguments' must be an object of prompt arguments, each a string.";
  }
  for (const [key, value] of Object.entries(args)) {
    if (typeof value !== 'string') {
      const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
      return `Prompt argument '${key.slice(0, 100)}' must be text (a string), got ${kind}.`;
    }
  }
  return undefined;
}

/** A Standard Schema for `setRequestHandler('prompts/get', { params }, …)`: the SDK answers its issue as -32602. */
export const promptGetParams: StandardSchemaV1<Record<string, unknown>, PromptGetParams> = {
  '~standard': {
    version: 1,
    vendor: 'llm_mcp_server',
    validate(value) {
      const params = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
      const problem = problemOf(params);
      if (problem) return { issues: [{ message: problem }] };
      return { value: { name: params.name as string, arguments: (params.arguments ?? {}) as Record<string, string> } };
    },
  },
};
