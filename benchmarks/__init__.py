"""concviz's benchmarks: scripts run on purpose (``python -m benchmarks.run_all``), never timed tests in CI."""
