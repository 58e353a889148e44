"""The resilient IB client's reconciliation after a reconnect or 1101/1102: the executions since the
disconnection and the open orders' status, through the execution client's own handlers. A mixin of
`resilient_client.ResilientInteractiveBrokersClient`."""

from __future__ import annotations

from datetime import UTC, datetime

from ibapi.execution import ExecutionFilter

RECONCILE_LOOKBACK_SECS = 60.0


class ReconciliationMixin:
    """Orders and fills asked for again after a session came back."""

    async def _reconcile(self, since_ns: int | None) -> None:
        """Fills since the disconnection through the execution client's own `execDetails` handler (so they
        become `OrderFilled` events, duplicates dropped by trade id), then the open orders' current status."""
        for account in sorted(self.accounts()):
            if f"execDetails-{account}" not in self._event_subscriptions:
                continue
            execution_filter = ExecutionFilter()
            execution_filter.acctCode = account
            if since_ns is not None:
                since = datetime.fromtimestamp(since_ns / 1e9 - RECONCILE_LOOKBACK_SECS, tz=UTC)
                execution_filter.time = since.strftime("%Y%m%d-%H:%M:%S")
            executions = await self.get_executions(account, execution_filter)
            orders = await self.get_open_orders(account)
            self._log.info(
                f"Reconciled {account} after reconnect: {len(executions or [])} executions, "
                f"{len(orders or [])} open orders",
            )
