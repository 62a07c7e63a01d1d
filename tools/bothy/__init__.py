"""bothy build tooling: config, code generation, toolchain, packaging, QEMU runner.

Importable and typed; dodo.py is a thin layer of doit tasks over this package.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
