"""A NautilusTrader trading node for Interactive Brokers paper trading."""
