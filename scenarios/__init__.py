"""The guide's scenarios, each run in a child process and measured through ``scenarios.probe``.

Nothing here imports Textual: this package is what runs, not what draws.
"""
