# The New MCP Key wizard (llm.mcp.key.wizard → llm.mcp.key.show), the client configurations it shows, and the
# buttons that open it or test the server from the screens (Preferences, MCP Server settings, MCP Keys lists).
from . import client_configs
from . import llm_mcp_key_wizard
from . import llm_mcp_key_show
from . import llm_mcp_config
from . import llm_mcp_key
from . import res_users
