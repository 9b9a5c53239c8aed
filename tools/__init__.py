"""Project tools run by scripts/ (not part of the server)."""
