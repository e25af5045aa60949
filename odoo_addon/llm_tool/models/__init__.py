from . import llm_registry_cache_mixin
from . import llm_tool
from . import llm_tool_builtin
from . import llm_tool_chatter
from . import llm_tool_server_action
from . import ir_actions_server
