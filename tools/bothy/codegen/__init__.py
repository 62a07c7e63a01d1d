"""Code generation: validated inputs → plain IR → strict Jinja2 templates → files written
only when their content changes. One module per generated family."""
