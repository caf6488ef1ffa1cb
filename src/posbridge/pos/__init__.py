"""The built-in POS domain: menu import, opening hours, delivery area, prices and stock."""
