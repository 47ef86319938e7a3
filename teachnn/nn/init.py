"""Weight initialisation (filled in by the Module work)."""
