"""Explanation deadlines: each record's status, as the records service announces it, and the reminders due."""
