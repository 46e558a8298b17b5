"""Contribute leaves back: a branch, a patch or a bundle, without touching other work."""
