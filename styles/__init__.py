"""The stylesheets and templates publisher ships (package data: publisher.styles)."""
