"""User administration from the shell (there is no admin page on purpose):

    python -m allocator.web.users add NAME ROLE [--display-name "Kari N."] [--database URL]
    python -m allocator.web.users passwd NAME      # asks for the new password twice
    python -m allocator.web.users disable NAME     # logs out and blocks the user
    python -m allocator.web.users list

Roles: caseworker, lead, analyst. The password is read from the terminal, or from
$ALLOCATOR_NEW_PASSWORD when there is none. Create real users before the first
`allocator serve` and no demo users are made. Every change is in the audit log.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from sqlalchemy import delete, select

from allocator.web.auth import create_user, hash_password
from allocator.web.config import default_database_url
from allocator.web.db import make_engine, migrate, session_factory, transaction
from allocator.web.services import audit
from allocator.web.tables import ROLES, User, WebSession

MIN_LENGTH = 12


def _password() -> str:
    given = os.environ.get("ALLOCATOR_NEW_PASSWORD")
    if given is None:
        given = getpass.getpass("Nytt passord: ")
        if getpass.getpass("Gjenta passordet: ") != given:
            raise SystemExit("Passordene er ikke like.")
    if len(given) < MIN_LENGTH:
        raise SystemExit(f"Passordet må ha minst {MIN_LENGTH} tegn.")
    return given


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m allocator.web.users")
    parser.add_argument("--database", default=None, help="default: as `allocator serve`")
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add")
    add.add_argument("username")
    add.add_argument("role", choices=ROLES)
    add.add_argument("--display-name", default="")
    for name in ("passwd", "disable"):
        sub.add_parser(name).add_argument("username")
    sub.add_parser("list")
    args = parser.parse_args(argv)
    engine = make_engine(args.database or default_database_url())
    migrate(engine)
    with transaction(session_factory(engine)) as db:
        if args.command == "list":
            for row in db.scalars(select(User).order_by(User.username)):
                state = "aktiv" if row.active else "sperret"
                print(f"{row.username:<20} {row.role:<11} {state:<8} {row.display_name}")
            return 0
        if args.command == "add":
            added = create_user(db, args.username, args.role, _password(), args.display_name)
            audit(
                db,
                None,
                "user.add",
                entity="user",
                entity_id=added.id,
                after={"username": added.username, "role": added.role},
            )
            print(f"Opprettet {added.username} ({added.role}).")
            return 0
        user = db.scalars(select(User).where(User.username == args.username.lower())).first()
        if user is None:
            print(f"Fant ikke brukeren {args.username}.", file=sys.stderr)
            return 2
        if args.command == "passwd":
            user.password_hash = hash_password(_password())
        else:
            user.active = False
        db.execute(delete(WebSession).where(WebSession.user_id == user.id))
        audit(
            db,
            None,
            f"user.{args.command}",
            entity="user",
            entity_id=user.id,
            after={"username": user.username, "active": user.active},
        )
        print(f"Endret {user.username}; brukeren er logget ut.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
