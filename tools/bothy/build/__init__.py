"""The C build of a system: components (hyp, rm), their sources and flags, and the
depfile-based up-to-date check doit uses for incremental compiles."""
