"""The process's plumbing: the state folder, atomic writes, status, proof of play, systemd, display power, clocks."""
