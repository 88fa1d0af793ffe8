"""Who was reached: per notice and install (keyed hash), when a check answer first carried
the notice, when the app reported showing it, and when the install moved off an affected
version."""
