"""The run screen's widgets: one per module, each fed with ``show(trace, now, ...)``."""
