"""Distributed training: cluster roles, strategies, the done-marker and the local launcher."""
