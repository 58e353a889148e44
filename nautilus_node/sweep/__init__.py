"""Parameter sweeps: one config's strategy over a parameter space, each trial a NautilusTrader `BacktestNode` run
on a Dask worker (a local cluster by default, or any existing cluster), with walk-forward analysis and charts."""
