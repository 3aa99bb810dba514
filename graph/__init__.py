"""Graph: schema, stores (embedded Ladybug and Neo4j), query API, features, models, rings."""
