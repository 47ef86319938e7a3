"""viz — animations of what teachnn's kernels compute."""
