"""The held-out part of the real-library refactor corpus (issue 49, item 5)."""
