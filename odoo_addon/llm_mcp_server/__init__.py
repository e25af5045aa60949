from . import controllers
from . import models
from . import wizards

from .call_bounds import install_log_filter

install_log_filter()
