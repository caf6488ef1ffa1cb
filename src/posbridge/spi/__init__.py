"""Wix → posbridge: the Restaurants POS service plugin (envelope, wire models, handlers, errors)."""
