"""Moved to ``limits.ratelimits`` (the apps import it from there, not from the
project package); this name stays for code written against it."""

from limits.ratelimits import Verdict, exceeded, limit_posts

__all__ = ["Verdict", "exceeded", "limit_posts"]
