"""The ``signage`` command line: the only place that wires the rest together. Nothing imports it."""
