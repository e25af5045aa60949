from . import res_partner
from . import test_llm_tool_wizard
from . import test_llm_tool_open
from . import test_llm_tool_guarded
from . import llm_tool
from . import test_llm_tool_conformance
