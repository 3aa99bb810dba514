"""Measuring detection against a synthetic world's ground truth (``cbec evaluate``).

This package is the only code that reads ``<world>/ground_truth/``; nothing under
``graph.detection`` imports it (``tests/test_ground_truth_isolation.py``).
"""
