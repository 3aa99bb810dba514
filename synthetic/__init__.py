"""Synthetic CBEC world with planted fraud rings and benign look-alikes (stand-in for customs data)."""
