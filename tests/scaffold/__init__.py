"""Tests of `modelmaker init`, its templates, the wheel, and `--install-requirements`."""
