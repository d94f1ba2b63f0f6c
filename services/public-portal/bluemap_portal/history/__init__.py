"""Tamper-evident public history: a per-tenant Merkle log (RFC 9162) of every public change, signed tree heads."""
