"""API keys: from the OS keyring, else the environment. Never stored anywhere else."""

from __future__ import annotations

import os

SERVICE = "ReMUD Desktop"


def _keyring():
    # deferred: keyring takes 15-30 ms to import and every `remud` start loads this module
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:
        return None, Exception
    return keyring, KeyringError


def get_secret(name: str, *env_vars: str) -> str | None:
    """The key stored as `name` in the keyring, else the first environment variable set."""
    keyring, error = _keyring()
    if keyring is not None:
        try:
            value = keyring.get_password(SERVICE, name)
        except error:
            value = None  # no usable keyring backend on this machine (headless, CI)
        if value:
            return value
    for var in env_vars:
        if os.environ.get(var):
            return os.environ[var]
    return None


def set_secret(name: str, value: str) -> None:
    keyring, error = _keyring()
    if keyring is None:
        raise RuntimeError("The keyring package is missing.")
    if value:
        keyring.set_password(SERVICE, name, value)
    else:
        try:
            keyring.delete_password(SERVICE, name)
        except error:
            pass
