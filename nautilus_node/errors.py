"""Errors a person reads: each message is one line, and the class says the exit code."""

from __future__ import annotations


class UserError(Exception):
    """Something the command could not do, explained in one line (exit code 1)."""

    exit_code = 1


class InputError(UserError):
    """Bad input: a config file, a data file, an option or an argument (exit code 2)."""

    exit_code = 2
