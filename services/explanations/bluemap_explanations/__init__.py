"""Explanations service: enterprises' public explanations of the records published about them."""
