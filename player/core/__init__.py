"""The pure core: YAML to a frozen model, and the schedule's decision at an instant. No I/O, no clock."""
