"""The `connectless` command line."""
