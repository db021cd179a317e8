"""The documented Taskora deployment: the ``Taskora`` construct (``composite``) and the pieces only it
needs (its names, Namespace, ConfigMap, Secret, frontend and backend presets, Ingress), built
from the library's reusable constructs."""
