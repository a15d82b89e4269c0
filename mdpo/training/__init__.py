"""MDPOConfig and MDPOTrainer: preference-sampled multi-dimension training on Trainer."""
