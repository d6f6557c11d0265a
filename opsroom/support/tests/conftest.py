import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The standing staff users are created with a password; hashing it properly is slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
