"""The ``tanggap`` command."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tanggap.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line([sys.argv[0], *sys.argv[2:]] if sys.argv[1:2] == ["manage"] else sys.argv)
