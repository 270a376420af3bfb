"""Tests of the evaluation report: `modelmaker evaluate` and `modelmaker train --report`."""
