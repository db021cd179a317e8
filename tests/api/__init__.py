"""The public API: its pinned surface per version (tests/api/<version>.json) and the constructs composed without Taskora."""
