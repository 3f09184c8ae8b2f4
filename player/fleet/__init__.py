"""Publishing a signed, content-addressed bundle and pulling it onto a screen."""
