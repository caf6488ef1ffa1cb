"""wixsim: an emulator of the Wix side of the Restaurants POS integration (never imports posbridge)."""

__version__ = "0.1.0"
