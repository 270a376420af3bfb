"""SessionRunHooks any graph-mode engine runs: checkpoints, progress lines, graceful stops."""
