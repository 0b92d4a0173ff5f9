"""concviz: watch Python's concurrency models run, measured."""

__version__ = "0.1.0"
