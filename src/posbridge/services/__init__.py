"""The service layer: each use case written once; SPI, dashboard, admin API and CLI call these."""
