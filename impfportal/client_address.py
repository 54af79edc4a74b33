"""Moved to ``limits.client_address``; this name stays for code written against it."""

from limits.client_address import client_address

__all__ = ["client_address"]
