from . import test_compat
