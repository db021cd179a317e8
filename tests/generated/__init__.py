"""Generated code: taskora_constructs/_generated/ and imports/ are current and reproducible."""
