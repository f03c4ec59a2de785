"""Custom resources that move endpoint autoscaling out of the way of updates (pattern E4)."""
