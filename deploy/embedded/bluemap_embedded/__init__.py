"""The embedded default: every service in one process on SQLite, files and a local mail catcher."""
