from __future__ import annotations

import getpass
import os

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

PASSWORD_ENV = "KB_EDITOR_PASSWORD"


class Command(BaseCommand):
    help = (
        "Create a staff account in the Editor group (or Reviewer with --reviewer). The password is read from "
        f"${PASSWORD_ENV} or asked for at a prompt; there is never a default."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--reviewer", action="store_true", help="Add to the Reviewer group (may publish).")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--update", action="store_true", help="Change the role (and password) of an existing account."
        )

    def _password(self, user) -> str:
        password = os.environ.get(PASSWORD_ENV)
        if password is None:
            if not self.stdin_is_interactive():
                raise CommandError(f"No password: set {PASSWORD_ENV} or run the command in a terminal.")
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ; nothing was created.")
        if not password:
            raise CommandError("The password is empty; nothing was created.")
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("The password is too weak: " + " ".join(exc.messages)) from None
        return password

    def stdin_is_interactive(self) -> bool:
        return os.isatty(0)

    def handle(self, *args, username: str, reviewer: bool, email: str, update: bool, **options) -> None:
        User = get_user_model()
        role = "Reviewer" if reviewer else "Editor"
        try:
            group = Group.objects.get(name=role)
        except Group.DoesNotExist:
            raise CommandError(f"The {role} group is missing: run `manage.py migrate` first.") from None
        existing = User.objects.filter(username=username).first()
        if existing and not update:
            raise CommandError(f"The user {username!r} already exists; use --update to change it.")
        user = existing or User(username=username, email=email)
        password = self._password(user)
        with transaction.atomic():
            user.is_staff = True
            if email:
                user.email = email
            user.set_password(password)
            user.save()
            user.groups.remove(*Group.objects.filter(name__in=["Editor", "Reviewer"]))
            user.groups.add(group)
        verb = "Updated" if existing else "Created"
        self.stdout.write(self.style.SUCCESS(f"{verb} {username!r} as {role.lower()}; they can sign in at /admin/."))
