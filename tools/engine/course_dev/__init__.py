"""The course developer's commands: check, bench, stability."""
