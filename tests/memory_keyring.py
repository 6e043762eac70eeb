"""A keyring backend that lives in memory, for the engine's and the window's tests."""

from __future__ import annotations


class MemoryKeyring:
    """A keyring backend that lives in memory: tests never touch the user's keyring."""

    priority = 1

    def __init__(self) -> None:
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        self.store.pop((service, username), None)
