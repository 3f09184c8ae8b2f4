"""Rendering: turning media files into pixels for the render loop."""
