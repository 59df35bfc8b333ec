"""The web UI's views, one module per page family."""
