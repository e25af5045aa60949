from . import test_schema
from . import test_registry
from . import test_builtin_tools
from . import test_protected_models
from . import test_existence_oracle
from . import test_server_action_tools
from . import test_subdomains_and_commands
