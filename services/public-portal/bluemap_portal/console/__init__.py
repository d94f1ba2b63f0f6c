"""The reviewers' console at /console: the operator's reviewers and admins decide what the public sees."""
