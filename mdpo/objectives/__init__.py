"""Per-dimension objectives (SFT, DPO, RLHF) returning LossOutput, and MultiObjective."""
