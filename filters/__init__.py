"""The house Lua filters publisher ships (package data: publisher.filters)."""
