"""ETL: raw CBEC extracts in, validated canonical tables out (DuckDB staging), fed to the graph store."""
