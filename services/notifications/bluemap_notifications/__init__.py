"""Notifications service: emails to enterprises, sent with retries, with their delivery status."""
