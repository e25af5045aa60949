# The New MCP Key wizard (llm.mcp.key.wizard → llm.mcp.key.show) and the client configurations it shows; the
# buttons that open it are on the screens' own models (models/res_users.py, llm_mcp_key.py, llm_mcp_config.py).
from . import client_configs
from . import llm_mcp_key_wizard
from . import llm_mcp_key_show
