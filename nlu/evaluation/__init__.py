"""Measuring the NLU: metrics on held-out and Traffy sets, reports, pipeline comparison."""
