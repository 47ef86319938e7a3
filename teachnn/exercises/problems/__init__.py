"""The four kinds of exercise, one short file each (start with ``base.py``)."""
from .base import Problem
from .function import FunctionProblem
from .module import ModuleProblem
from .value import ValueProblem
from .words import Claim, WordsProblem, says, says_not

__all__ = ["Problem", "ValueProblem", "FunctionProblem", "ModuleProblem", "WordsProblem",
           "Claim", "says", "says_not"]
