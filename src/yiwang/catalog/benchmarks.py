"""Registers the catalog's benchmarks (bench/search.py holds the search benchmark)."""
