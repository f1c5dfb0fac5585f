"""Fault injection for a real Cairn network across Linux network namespaces (see README.md here)."""
