from . import test_schema
from . import test_registry
from . import test_builtin_tools
