"""The enterprise workspace ("My Green Choice") at /workspace, and login/logout for every signed-in page."""
