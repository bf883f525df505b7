"""Example third-party Zoo plugin (a tiny MLP on scikit-learn's digits)."""

__version__ = "0.1.0"
