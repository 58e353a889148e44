"""Backtests: a config file's strategies over the catalog with NautilusTrader's `BacktestNode`, then reports."""
