"""Investigations: cases, evidence, audit trail and signed exports for partner administrations."""
