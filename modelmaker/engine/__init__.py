"""The training engine: the `Engine` interface, its implementations, hooks, export, warm start."""
