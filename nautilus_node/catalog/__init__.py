"""The data catalog: import LEAN and CSV files, download from IB Gateway, list what is there."""
