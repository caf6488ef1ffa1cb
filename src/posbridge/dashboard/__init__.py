"""The merchant's POS Locations page (Wix dashboard iframe): entry, session, templates and htmx."""
