"""Sealed secrets: sealing keys, sealing TLS certificates the way Bitnami sealed-secrets does, audits.

Side effects (reading key files, writing the sealed files) stay in `keys`, `seal`
and `unseal`; `crypto` and `certs` are pure functions over bytes and objects.
"""
