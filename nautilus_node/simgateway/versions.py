"""The server versions this gateway speaks and the wire changes each one brings.

A session's server version is the highest both sides support: ``min(MAX_VERSION, client max)``. It is
refused only when that falls below ``MIN_VERSION``. 157 is the floor because it is the oldest version
clients in the wild still announce (ib_async and ib_insync offer ``v157..178``) and every wire change
from there up to 200 is listed in :class:`Feature`; older versions add version fields and layouts
(e.g. openOrder before order containers) that no current client needs.

``Feature`` names follow IB's ``MIN_SERVER_VER_*`` constants: the first server version that carries the
change. :class:`Wire` answers, for one negotiated version, which fields a message includes, so that
encoders and parsers state each conditional field once, next to the feature that governs it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cache

MIN_VERSION = 157
MAX_VERSION = 200  # the highest server version that still uses the text message ids


class Feature(enum.IntEnum):
    """The first server version with each wire change this gateway's messages depend on."""

    DURATION = 158  # openOrder / placeOrder: duration
    POST_TO_ATS = 160  # openOrder / placeOrder: postToAts
    AUTO_CANCEL_PARENT = 162  # openOrder / placeOrder: autoCancelParent
    FRACTIONAL_SIZE_SUPPORT = 163  # contractDetails: sizeMinTick (until SIZE_RULES)
    SIZE_RULES = 164  # contractDetails: no version field, no mdSizeMultiplier, minSize/sizeIncrement
    ADVANCED_ORDER_REJECT = 166  # error: advancedOrderRejectJson; placeOrder: advancedErrorOverride
    PEGBEST_PEGMID_OFFSETS = 170  # openOrder: minTradeQty .. midOffsetAtHalf
    FA_PROFILE_DESUPPORT = 177  # openOrder: no faProfile
    PENDING_PRICE_REVISION = 178  # execDetails: pendingPriceRevision
    LAST_TRADE_DATE = 182  # contractDetails: lastTradeDate
    CUSTOMER_ACCOUNT = 183  # openOrder / placeOrder: customerAccount
    PROFESSIONAL_CUSTOMER = 184  # openOrder / placeOrder: professionalCustomer
    BOND_ACCRUED_INTEREST = 185  # openOrder: bondAccruedInterest
    INELIGIBILITY_REASONS = 186  # contractDetails: ineligibility reason list
    INCLUDE_OVERNIGHT = 189  # openOrder / placeOrder: includeOvernight
    CME_TAGGING_FIELDS = 192  # cancelOrder / reqGlobalCancel: no version field
    CME_TAGGING_FIELDS_IN_OPEN_ORDER = 193  # openOrder: extOperator, manualOrderIndicator
    ERROR_TIME = 194  # error: no version field, errorTime
    FULL_ORDER_PREVIEW_FIELDS = 195  # openOrder: margin currency, outside-RTH margins, allocations
    HISTORICAL_DATA_END = 196  # historicalData: start/end move to their own historicalDataEnd message
    CURRENT_TIME_IN_MILLIS = 197  # reqCurrentTimeInMillis / currentTimeInMillis exist
    SUBMITTER = 198  # openOrder / execDetails: submitter
    IMBALANCE_ONLY = 199  # openOrder / placeOrder: imbalanceOnly


@dataclass(frozen=True, slots=True)
class Wire:
    """The message layouts of one negotiated server version."""

    version: int

    def has(self, feature: Feature) -> bool:
        return self.version >= feature

    def since(self, feature: Feature, *fields: object) -> tuple[object, ...]:
        """``fields`` if this version carries ``feature``, else nothing."""
        return fields if self.version >= feature else ()

    def before(self, feature: Feature, *fields: object) -> tuple[object, ...]:
        """``fields`` if this version predates ``feature`` (fields that ``feature`` removed), else nothing."""
        return () if self.version >= feature else fields

    def between(self, first: Feature, last: Feature, *fields: object) -> tuple[object, ...]:
        """``fields`` from ``first`` up to, not including, ``last``."""
        return fields if first <= self.version < last else ()


@cache
def wire(version: int) -> Wire:
    """The shared :class:`Wire` for ``version`` (one of ``MIN_VERSION..MAX_VERSION``)."""
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise ValueError(f"server version {version} outside {MIN_VERSION}..{MAX_VERSION}")
    return Wire(version)


LATEST = wire(MAX_VERSION)
