"""The instructor's commands: grade, grade-all, release, gradescope."""
