"""Front evaluation: the Task protocol, Front and evaluate_front."""
