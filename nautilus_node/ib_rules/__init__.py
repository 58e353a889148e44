"""IB's rules, stated once: the fee schedule (fees.py) and the pacing limits (pacing.py)."""
