"""Three-list check declarations, one module per family; run by :mod:`etl.three_list`."""
