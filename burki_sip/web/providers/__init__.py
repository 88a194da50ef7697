"""Provider adapters: one module per provider (detection, call id, vocabulary, signature).

``registry`` detects which adapter a payload is for and reads it; ``guard`` verifies the
providers' own signatures for ``web/auth.py``. Mapping tables live in each provider's module.
"""
