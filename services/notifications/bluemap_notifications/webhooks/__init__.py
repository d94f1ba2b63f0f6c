"""Signed webhooks for partners: subscriptions, CloudEvents signed per Standard Webhooks, retries, delivery log."""
