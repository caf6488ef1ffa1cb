"""posbridge: a restaurant POS plugged into Wix Restaurants through the POS service plugin."""

__version__ = "0.1.0"
