"""The Taskora app's own code: values files and secret sources (the constructs live in
``taskora_constructs``, which does not depend on this package)."""
