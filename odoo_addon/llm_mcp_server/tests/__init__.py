from . import test_wizard
from . import test_ui
