"""What a task does at run time: TF_CONFIG roles, strategies, done-markers."""
