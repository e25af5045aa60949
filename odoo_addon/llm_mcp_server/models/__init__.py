from . import res_users_apikeys
from . import ir_http
from . import llm_mcp_config
from . import llm_mcp_key
from . import llm_mcp_call
from . import llm_tool_builtin
