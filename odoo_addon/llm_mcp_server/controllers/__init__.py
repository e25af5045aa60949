from . import main
from . import oauth
from . import prompts
