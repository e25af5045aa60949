from . import test_models
from . import test_endpoints
from . import test_wizard
from . import test_ui
from . import test_security
from . import test_oauth
from . import test_prompts
