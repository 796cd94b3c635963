"""China Crypto Brief: a reproducible report pipeline on China-linked tokens and Bitcoin mining."""

__version__ = "0.1.0"
