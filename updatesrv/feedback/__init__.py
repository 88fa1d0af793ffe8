"""Anonymous feedback from the people a notice affects, and messages that must reach a
human at the vendor when the workaround did not help."""
