"""The profiles' hardening across constructs (docs/hardening.md): least privilege, availability, data, digests."""
