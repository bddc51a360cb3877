"""emclm: European MOOC Consortium labour-market portal."""

__version__ = "0.1.0"
