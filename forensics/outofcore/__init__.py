"""Cases larger than RAM: DuckDB (embedded, no server) over a case's verified Parquet files.

``engine`` opens and guards the files, ``sql`` compiles the query language, ``pages`` pages
rows with filter and sort pushed down, ``aggregations`` computes heatmap pivots and findings
counts as GROUP BY, ``budget`` decides which engine a case opens with. Qt-free; imported
only when the out-of-core engine is chosen (DuckDB is a large module).
"""
