"""nondiff rules."""
