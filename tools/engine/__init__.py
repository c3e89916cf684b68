"""The kata engine: see tools/ENGINE.md for its layers and how a run flows."""
