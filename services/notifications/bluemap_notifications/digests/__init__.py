"""Digests: new records gathered per recipient and window, emailed once the window closes."""
