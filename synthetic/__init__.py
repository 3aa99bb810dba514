"""Synthetic CBEC world: planted fraud rings, benign look-alikes, dirty data, honest labels.

Entry point: ``synthetic.world.generate(config, out_dir)`` or ``cbec generate``.
"""
