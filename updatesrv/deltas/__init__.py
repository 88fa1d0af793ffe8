"""Binary deltas made by the server (issue 27): after a release is published the scheduler
patches each of a few earlier files into the new one (patching.py), stores the patch
content-addressed through the file storage, and the check offers it beside the full file."""
