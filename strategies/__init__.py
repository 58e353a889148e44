"""Strategies: one module per strategy, each a Strategy and its StrategyConfig."""
