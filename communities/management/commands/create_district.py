"""First start: create a district and its first district official; everything after that is done in the portal."""

import getpass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from communities.services import district_set_up
from renovation_portal.errors import DomainError


class Command(BaseCommand):
    help = "Create a district and its first district official (password from a prompt or --password-file)."

    def add_arguments(self, parser):
        parser.add_argument("--code", required=True, help="the administrative division code, e.g. 350203")
        parser.add_argument("--name", required=True, help="the district's name, e.g. 思明区")
        parser.add_argument(
            "--city", default="", help="the city, e.g. 厦门市 (found or created by the code's first four digits)"
        )
        parser.add_argument(
            "--province", default="", help="the province, e.g. 福建省 (needed when the province is new)"
        )
        parser.add_argument("--official", required=True, help="username of the first district official")
        parser.add_argument("--email", default="", help="the official's e-mail address")
        parser.add_argument(
            "--password-file", help="read the official's password from the first line of this file (no prompt)"
        )

    def handle(self, *args, code, name, city, province, official, email, password_file, **options):
        if password_file:
            try:
                password = Path(password_file).read_text(encoding="utf-8").splitlines()[0]
            except (OSError, UnicodeError, IndexError) as error:
                raise CommandError(f"Cannot read a password from {password_file}: {error}") from None
        else:
            password = getpass.getpass(f"Password for {official}: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords do not match.")
        try:
            district, user = district_set_up(
                code=code,
                name=name,
                city=city,
                province=province,
                official_username=official,
                official_password=password,
                official_email=email,
            )
        except DomainError as error:
            raise CommandError(f"{error.message} ({error.code})") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {district.city.province if district.city else ''}{district.city or ''}{district.name} ({district.code}) and its district official {user.username}."
            )
        )
