"""Documents service: signed explanations and supporting documents in content-addressed object storage."""
