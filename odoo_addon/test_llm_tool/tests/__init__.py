from . import test_compat
from . import test_cancellation
