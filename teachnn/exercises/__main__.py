"""``python -m teachnn.exercises ...`` is the same as ``teachnn-grade ...``."""
import sys

from .grade import main

sys.exit(main())
