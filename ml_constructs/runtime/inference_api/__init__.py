"""Lambda behind the inference REST API (pattern E11)."""
