"""Front evaluation: the Task protocol, Front and evaluate_front."""

from .evaluate import evaluate_front
from .front import Front
from .task import Task

__all__ = ["Front", "Task", "evaluate_front"]
