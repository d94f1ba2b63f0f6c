"""Responsiveness: how quickly enterprises explain their records and the operator reviews."""
