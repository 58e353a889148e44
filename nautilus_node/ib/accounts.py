"""IB's paper and live rules: which ports and accounts trade real money, and the default paper port.

IB Gateway's API listens on 4002 for a paper login and 4001 for a live one; TWS on 7497 and 7496. Paper
account ids start with "DU" (live ones with "U").
"""

from __future__ import annotations

GATEWAY_PAPER_PORT = 4002
TWS_PAPER_PORT = 7497
GATEWAY_LIVE_PORT = 4001
TWS_LIVE_PORT = 7496
DEFAULT_PORT = GATEWAY_PAPER_PORT
LIVE_PORTS = frozenset({GATEWAY_LIVE_PORT, TWS_LIVE_PORT})
PAPER_ACCOUNT_PREFIX = "DU"
DEMO_PAPER_ACCOUNT = "DU1234567"  # the simulated gateway's account unless told otherwise


def is_paper_account(account: str) -> bool:
    """Whether `account` is an IB paper account id."""
    return account.startswith(PAPER_ACCOUNT_PREFIX)


def live_trading_problems(port: int, account: str | None) -> list[str]:
    """What about this port and account means live trading (empty for paper), one phrase each."""
    problems = []
    if port in LIVE_PORTS:
        problems.append(
            f"port {port} is a live-trading port (paper: IB Gateway {GATEWAY_PAPER_PORT}, TWS {TWS_PAPER_PORT})"
        )
    if account is not None and not is_paper_account(account):
        problems.append(
            f"account {account!r} is not a paper account (paper accounts start with {PAPER_ACCOUNT_PREFIX})"
        )
    return problems
