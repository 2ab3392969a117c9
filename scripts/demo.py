"""Seed the bundled examples into an account, for a demo: `make demo USER=maya`.

    .venv/bin/python scripts/demo.py USERNAME [--only finished|review]

Makes the same two examples as the empty studio's "Try an example" (a finished one with its video, and one waiting
at frame review), on the offline models: no keys, no cost, no quota. Uses the app's settings; with MONGODB_URI
unset it connects to the embedded database (starting it if the app is not running).
"""

from __future__ import annotations

import argparse
import sys

from services.bootstrap import bootstrap
from services.core.errors import StudioError
from services.examples.seeder import EXAMPLE_KINDS, ExampleSeeder


def main(argv: list[str]) -> int:
    """Seed the examples; prints each workflow's id and where it stopped."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("username")
    parser.add_argument("--only", choices=EXAMPLE_KINDS, help="make just this example")
    args = parser.parse_args(argv)
    runtime = bootstrap()
    try:
        user = runtime.users.get_by_username(args.username)
        if user is None:
            print(
                f"No account is named {args.username!r}. Sign up in the app, or run scripts/create_user.py first.",
                file=sys.stderr,
            )
            return 1
        runtime.start_background()  # this process runs the examples' jobs if no app is running
        seeder = ExampleSeeder(runtime.service.without_limits())
        for kind in [args.only] if args.only else EXAMPLE_KINDS:
            workflow = seeder.create(user_id=user.id, kind=kind)
            print(f"{kind}: {workflow.title} ({workflow.id}) at {workflow.current_step.value}")
    except StudioError as error:
        print(error.message, file=sys.stderr)
        return 1
    finally:
        runtime.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
