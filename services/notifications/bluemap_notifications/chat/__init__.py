"""Live Chat (在线咨询): conversations between an enterprise and the operator's staff."""
