import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The standing staff users are created with a password; hashing it properly is slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_similarity_index():
    """Each test starts without the process's similar-ticket index: a rolled-back test's
    ticket ids are reused by the next test, which the index's key cannot tell apart."""
    from opsroom.support.selectors import similar

    similar._INDEX.key = None
    yield
    similar._INDEX.key = None
