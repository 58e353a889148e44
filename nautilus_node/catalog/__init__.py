"""The data catalog: import LEAN and CSV files, download from IB Gateway, list what is there."""

# The API client ids of `catalog download` and `catalog instruments fetch`: their own, so they run beside a node.
DOWNLOAD_CLIENT_ID = 17
FETCH_CLIENT_ID = 18
