"""Published public explanations: what enterprises said about their records, as reviewers approved it."""
