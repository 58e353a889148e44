"""The live node: settings → TradingNode, its run lifecycle, the resilient IB client and the order command."""
