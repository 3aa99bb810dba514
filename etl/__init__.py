"""ETL: raw CBEC extracts in, validated canonical tables out (DuckDB staging), then the graph."""
