from . import llm_tool
from . import llm_tool_builtin
