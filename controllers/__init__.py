from . import body
from . import main
