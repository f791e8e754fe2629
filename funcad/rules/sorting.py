"""sorting rules."""
