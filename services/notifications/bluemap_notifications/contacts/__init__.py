"""Who to write to: each enterprise's names and registered addresses, from the records service's events."""
