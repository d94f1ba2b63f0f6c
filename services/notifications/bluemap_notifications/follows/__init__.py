"""Following: users who follow enterprises and are emailed about their new public information."""
