"""publisher: Jekyll papers to PDF, EPUB 3 and HTML editions."""
__version__ = "0.1.0"
