"""Dataset schemas, validation and collators for multi-dimension preference data."""
