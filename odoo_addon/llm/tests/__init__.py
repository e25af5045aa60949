from . import test_llm_groups
