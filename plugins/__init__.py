"""datacheck plugins: pipeline stages beyond validation, discovered through the "datacheck.plugins" entry-point group."""
