"""The hot folder: playlists and media as the player finds them on disk, and the watcher that notices drops."""
