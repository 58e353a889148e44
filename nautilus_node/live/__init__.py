"""The live node: settings → `TradingNodeConfig` → `TradingNode`, its run lifecycle, and the `order` command."""
