from . import main
from . import oauth
from . import resources
from . import prompts
