"""The test suite, laid out as the code it tests (taskora_constructs/<package>/ -> tests/<package>/,
the app -> tests/app/); shared helpers in tests/support/, never imported from a test module."""
