"""Published documents and rendered public explanations: what the public downloads and verifies."""
