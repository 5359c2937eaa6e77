"""Desk phones an admin adds, published to Asterisk (issue 12)."""
