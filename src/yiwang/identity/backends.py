"""Sessions are started by identity.services.sign_in after its own checks (lockout, second
factor); Django's authenticate() is never the way in, so this backend only loads users."""

from django.contrib.auth.backends import ModelBackend


class AccountBackend(ModelBackend):
    def authenticate(self, request, **credentials):
        return None
