import json

from django.core.management.base import BaseCommand, CommandError

from accounts.services import service_account_create
from scoreboard_project.errors import ApplicationError


class Command(BaseCommand):
    help = 'Create (or reuse) a game-server account and print {"userId", "token"} with role "system".'

    def add_arguments(self, parser):
        parser.add_argument("name", help="username of the service account")
        parser.add_argument(
            "--expiry-seconds", type=int, default=None, help="token lifetime (default JWT_EXPIRY)"
        )

    def handle(self, *args, name: str, expiry_seconds: int | None, **options):
        try:
            user, token = service_account_create(name=name, lifetime_seconds=expiry_seconds)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(json.dumps({"userId": str(user.id), "token": token}))
