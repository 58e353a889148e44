"""Recording what a live node saw and did (quotes, trades, bars, orders, fills), replaying it as a backtest and
comparing the two."""
