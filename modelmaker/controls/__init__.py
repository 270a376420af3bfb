"""Training controls that act after each evaluation: best export, early stopping, tuning metric, cadence."""
