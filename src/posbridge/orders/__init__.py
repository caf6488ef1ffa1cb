"""Orders in posbridge's own vocabulary (the domain): the order model and the order channel seam."""
