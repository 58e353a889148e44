"""The status actor: the node's real state as a snapshot, served over HTTP, written to a file, read by the CLI."""
