from . import test_compat
from . import test_cancellation
from . import test_running_cap
