"""synta: measure motion transferability in video models (Syn-TA generator + transfer benchmark)."""
__version__ = "0.2.0"
