"""Billing's rules, free of I/O: tax, document numbers, payment states."""
