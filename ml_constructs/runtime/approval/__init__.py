"""Lambda behind the model-approval path (pattern M6)."""
