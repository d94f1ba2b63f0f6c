"""Category pages across enterprises: one per record type, and Enterprise Feedback (企业反馈)."""
