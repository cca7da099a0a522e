from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from yiwang.identity import services
from yiwang.identity.demo import (
    DEMO_PEOPLE,
    DEMO_TOTP_SECRET,
    current_demo_code,
    load_identity_demo,
)


class Command(BaseCommand):
    help = (
        "Identity: `demo` loads demo citizens and staff roles; `totp` prints the demo staff's "
        "current code; `client` registers an OpenID Connect client and prints its secret once."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["demo", "totp", "client"])
        parser.add_argument("--name", default="")
        parser.add_argument("--redirect-uri", action="append", default=[])
        parser.add_argument("--post-logout-uri", action="append", default=[])
        parser.add_argument("--backchannel-logout-uri", default="")
        parser.add_argument("--may-read-id-number", action="store_true")
        parser.add_argument("--untrusted", action="store_true", help="ask the person to consent")

    def handle(self, *args, action, **options):
        if action == "client":
            return self._client(options)
        if settings.PROFILE == "production":
            raise CommandError("demo identities do not exist in the production profile")
        if action == "demo":
            made = load_identity_demo()
            people = "、".join(f"{p.name} {p.id_number}" for p in DEMO_PEOPLE)
            self.stdout.write(f"accounts +{made}; demo citizens: {people}")
            self.stdout.write(f"demo staff TOTP secret: {DEMO_TOTP_SECRET}")
        else:
            self.stdout.write(current_demo_code())

    def _client(self, options) -> None:
        registration = services.register_client(
            services.Actor(None, "cli"),
            name=options["name"],
            redirect_uris=options["redirect_uri"],
            post_logout_redirect_uris=options["post_logout_uri"],
            backchannel_logout_uri=options["backchannel_logout_uri"],
            may_read_id_number=options["may_read_id_number"],
            trusted=not options["untrusted"],
        )
        self.stdout.write(f"client_id: {registration.application.client_id}")
        self.stdout.write(f"client_secret (shown once): {registration.client_secret}")
