"""The learner's commands: test, helgrind, status, hint, watch, reset, compare."""
