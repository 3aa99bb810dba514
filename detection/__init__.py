"""Detection: graph features, typology indicators, models, ranked fraud rings with evidence."""
