"""The server versions this gateway speaks and the wire changes each one brings.

A session's server version is the highest both sides support: ``min(server max, client max)``, the server
max being ``MAX_VERSION`` unless the gateway emulates an older one. It is refused only when that falls below
``MIN_VERSION``. Up to ``TEXT_MAX_VERSION`` (200) every message is text; from ``Feature.PROTOBUF`` (201) on
message ids are binary and the messages of each group travel as Protocol Buffers from the version that
moved them (:data:`PROTOBUF_REQUESTS`, :data:`PROTOBUF_MESSAGES`). 157 is the floor because it is the oldest version
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
TEXT_MAX_VERSION = 200  # the highest server version that still uses the text message ids
MAX_VERSION = 226  # what IB Gateway 10.50 serves
NAUTILUS_VERSION = 223  # what NautilusTrader 1.231's ibapi 10.45 offers at most


class Feature(enum.IntEnum):
    """The first server version with each wire change this gateway's messages depend on."""

    DURATION = 158  # openOrder / placeOrder: duration
    POST_TO_ATS = 160  # openOrder / placeOrder: postToAts
    AUTO_CANCEL_PARENT = 162  # openOrder / placeOrder: autoCancelParent
    FRACTIONAL_SIZE_SUPPORT = 163  # contractDetails: sizeMinTick (until SIZE_RULES)
    SIZE_RULES = 164  # contractDetails: no version field, no mdSizeMultiplier, minSize/sizeIncrement
    ADVANCED_ORDER_REJECT = 166  # error: advancedOrderRejectJson; placeOrder: advancedErrorOverride
    MANUAL_ORDER_TIME = 169  # placeOrder: manualOrderTime
    PEGBEST_PEGMID_OFFSETS = 170  # openOrder: minTradeQty .. midOffsetAtHalf
    FA_PROFILE_DESUPPORT = 177  # openOrder: no faProfile
    PENDING_PRICE_REVISION = 178  # execDetails: pendingPriceRevision
    LAST_TRADE_DATE = 182  # contractDetails: lastTradeDate
    CUSTOMER_ACCOUNT = 183  # openOrder / placeOrder: customerAccount
    PROFESSIONAL_CUSTOMER = 184  # openOrder / placeOrder: professionalCustomer
    BOND_ACCRUED_INTEREST = 185  # openOrder: bondAccruedInterest
    INELIGIBILITY_REASONS = 186  # contractDetails: ineligibility reason list
    RFQ_FIELDS = 187  # placeOrder: two RFQ fields (until UNDO_RFQ_FIELDS)
    INCLUDE_OVERNIGHT = 189  # openOrder / placeOrder: includeOvernight
    UNDO_RFQ_FIELDS = 190  # placeOrder: no RFQ fields
    CME_TAGGING_FIELDS = 192  # cancelOrder / reqGlobalCancel: no version field
    CME_TAGGING_FIELDS_IN_OPEN_ORDER = 193  # openOrder: extOperator, manualOrderIndicator
    ERROR_TIME = 194  # error: no version field, errorTime
    FULL_ORDER_PREVIEW_FIELDS = 195  # openOrder: margin currency, outside-RTH margins, allocations
    HISTORICAL_DATA_END = 196  # historicalData: start/end move to their own historicalDataEnd message
    CURRENT_TIME_IN_MILLIS = 197  # reqCurrentTimeInMillis / currentTimeInMillis exist
    SUBMITTER = 198  # openOrder / execDetails: submitter
    IMBALANCE_ONLY = 199  # openOrder / placeOrder: imbalanceOnly
    PROTOBUF = 201  # binary message ids; executions, orders' reports and errors as protobuf
    PROTOBUF_PLACE_ORDER = 203  # placeOrder, cancelOrder, reqGlobalCancel as protobuf
    PROTOBUF_COMPLETED_ORDER = 204  # open/completed order requests as protobuf
    PROTOBUF_CONTRACT_DATA = 205  # reqContractDetails and contractDetails as protobuf
    PROTOBUF_MARKET_DATA = 206  # reqMktData, ticks, market data type as protobuf
    PROTOBUF_ACCOUNTS_POSITIONS = 207  # accounts, positions, managed accounts as protobuf
    PROTOBUF_HISTORICAL_DATA = 208  # history, real-time bars, historical ticks, tick-by-tick as protobuf
    PROTOBUF_NEWS_DATA = 209
    PROTOBUF_SCAN_DATA = 210  # PnL as protobuf
    PROTOBUF_REST_MESSAGES_1 = 211  # commissionAndFeesReport as protobuf
    PROTOBUF_REST_MESSAGES_2 = 212  # market rules as protobuf
    PROTOBUF_REST_MESSAGES_3 = 213  # startApi, reqIds, current time and nextValidId as protobuf


@dataclass(frozen=True, slots=True)
class Wire:
    """The message layouts of one negotiated server version."""

    version: int

    def has(self, feature: Feature) -> bool:
        return self.version >= feature

    @property
    def binary_ids(self) -> bool:
        """Message ids travel as 4-byte integers (both directions) from ``PROTOBUF`` on."""
        return self.version >= Feature.PROTOBUF

    def protobuf_request(self, msg_id: int) -> bool:
        """A client at this version sends request ``msg_id`` as protobuf (IB's ``PROTOBUF_MSG_IDS``)."""
        since = PROTOBUF_REQUESTS.get(msg_id)
        return since is not None and self.version >= since

    def protobuf_message(self, msg_id: int) -> bool:
        """The gateway sends message ``msg_id`` as protobuf at this version."""
        since = PROTOBUF_MESSAGES.get(msg_id)
        return since is not None and self.version >= since

    def since(self, feature: Feature, *fields: object) -> tuple[object, ...]:
        """``fields`` if this version carries ``feature``, else nothing."""
        return fields if self.version >= feature else ()

    def before(self, feature: Feature, *fields: object) -> tuple[object, ...]:
        """``fields`` if this version predates ``feature`` (fields that ``feature`` removed), else nothing."""
        return () if self.version >= feature else fields

    def between(self, first: Feature, last: Feature, *fields: object) -> tuple[object, ...]:
        """``fields`` from ``first`` up to, not including, ``last``."""
        return fields if first <= self.version < last else ()


_F = Feature
# Requests by message id, and the version from which a client sends each as protobuf (ibapi's PROTOBUF_MSG_IDS).
PROTOBUF_REQUESTS: dict[int, int] = {
    7: _F.PROTOBUF,  # reqExecutions
    **dict.fromkeys((3, 4, 58), _F.PROTOBUF_PLACE_ORDER),  # placeOrder, cancelOrder, reqGlobalCancel
    **dict.fromkeys((5, 15, 16, 99), _F.PROTOBUF_COMPLETED_ORDER),  # open/auto/all open, completed orders
    9: _F.PROTOBUF_CONTRACT_DATA,  # reqContractDetails
    **dict.fromkeys((1, 2, 10, 11, 59), _F.PROTOBUF_MARKET_DATA),  # mkt data, depth, market data type
    **dict.fromkeys((6, 17, 61, 62, 63, 64, 74, 75, 76, 77), _F.PROTOBUF_ACCOUNTS_POSITIONS),
    **dict.fromkeys((20, 25, 50, 51, 87, 90, 88, 89, 96, 97, 98), _F.PROTOBUF_HISTORICAL_DATA),
    **dict.fromkeys((12, 13, 84, 85, 86, 100, 101, 102, 103), _F.PROTOBUF_NEWS_DATA),
    **dict.fromkeys((24, 22, 23, 52, 53, 92, 93, 94, 95), _F.PROTOBUF_SCAN_DATA),
    **dict.fromkeys((18, 19, 21, 54, 55, 56, 57), _F.PROTOBUF_REST_MESSAGES_1),
    **dict.fromkeys((78, 80, 79, 81, 83, 91, 104), _F.PROTOBUF_REST_MESSAGES_2),
    **dict.fromkeys((8, 49, 105, 71, 14, 65, 66, 67, 68, 69, 70, 82), _F.PROTOBUF_REST_MESSAGES_3),
}
# Messages this gateway sends, and the version from which it sends each as protobuf: grouped with the requests
# that ask for them, in the order of the protobuf table of ibapi's Decoder.
PROTOBUF_MESSAGES: dict[int, int] = {
    **dict.fromkeys((3, 4, 5, 11, 53, 55), _F.PROTOBUF),  # orderStatus, error, openOrder(End), execDetails(End)
    **dict.fromkeys((10, 52), _F.PROTOBUF_CONTRACT_DATA),  # contractDetails, contractDetailsEnd
    # ticks (option computations included), snapshot end, data type, params
    **dict.fromkeys((1, 2, 21, 45, 46, 57, 58, 81), _F.PROTOBUF_MARKET_DATA),
    **dict.fromkeys((6, 7, 8, 54, 15, 61, 62, 63, 64), _F.PROTOBUF_ACCOUNTS_POSITIONS),
    **dict.fromkeys((17, 90, 108, 50, 96, 97, 98, 99), _F.PROTOBUF_HISTORICAL_DATA),  # bars, ticks, tick-by-tick
    **dict.fromkeys((94, 95), _F.PROTOBUF_SCAN_DATA),  # PnL, PnL single
    59: _F.PROTOBUF_REST_MESSAGES_1,  # commissionAndFeesReport
    **dict.fromkeys((75, 76, 93), _F.PROTOBUF_REST_MESSAGES_2),  # option chains (and their end), marketRule
    **dict.fromkeys((9, 49, 109), _F.PROTOBUF_REST_MESSAGES_3),  # nextValidId, currentTime(InMillis)
}


@cache
def wire(version: int) -> Wire:
    """The shared :class:`Wire` for ``version`` (one of ``MIN_VERSION..MAX_VERSION``)."""
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise ValueError(f"server version {version} outside {MIN_VERSION}..{MAX_VERSION}")
    return Wire(version)


LATEST = wire(TEXT_MAX_VERSION)
"""The newest text layout (200); the text fields a protobuf session's messages are made from."""
