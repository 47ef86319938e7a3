"""teachnn — torch.nn, re-implemented to be read, stepped through and watched."""
__version__ = "0.1.0"
