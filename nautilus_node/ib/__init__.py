"""IB's knowledge, stated once, for live wiring, status, catalog, backtest and the simulated gateway alike.

It imports none of those packages: fees (fees.py), pacing (pacing.py), and more as they move here.
"""
