"""Event kernel shared by the Blue Map services."""
