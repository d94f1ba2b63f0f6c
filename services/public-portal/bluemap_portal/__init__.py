"""Public portal: enterprises' public pages and the public API, a read model fed by events."""
