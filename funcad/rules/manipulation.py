"""manipulation rules."""
