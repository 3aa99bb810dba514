"""Detection: graph features, typology indicators, models, ranked fraud rings with evidence.

Never reads ground truth: ``graph/evaluation`` alone does (a test enforces it)."""
