"""datacheck plugins: pipeline stages beyond validation.

Each plugin is its own package, discovered through the entry-point group "datacheck.plugins";
heavy dependencies (torch) live only here, never in the core.
"""
