"""``tenantcheck init``: a starter environment (and, on request, a profile of your own) in this repository.

A release gate lives in the product's repository: ``init`` copies a shipped environment template into
``./environments/NAME.toml`` (and a shipped profile into ``./profiles/NAME.toml``), which bare names
then find before the shipped ones (``tenantcheck.bundled.named_file``). It never overwrites a file
unless told to.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from tenantcheck.bundled import bundled_dir, named_file
from tenantcheck.errors import ConfigError

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
PROFILE_LINE = re.compile(r'^profile = "[^"]*"', re.MULTILINE)


def add_init_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", default="preview", metavar="NAME",
                        help="name of the environment to write: environments/NAME.toml (default: preview)")
    parser.add_argument("--template", default=None, metavar="NAME",
                        help="shipped environment to start from (default: the one named like --env, else preview)")
    parser.add_argument("--profile", default=None, metavar="NAME",
                        help="also write profiles/NAME.toml, a copy of the environment's profile to edit, and "
                        "point the environment at it")
    parser.add_argument("--dir", default=Path("."), type=Path, metavar="PATH",
                        help="the repository to write into (default: the current folder)")
    parser.add_argument("--force", action="store_true", help="overwrite files that exist")
    parser.add_argument("--openapi", default=None, metavar="SPEC",
                        help="draft a profile (profiles/NAME.toml, NAME from --profile or the document's title) and "
                        "an environment from an OpenAPI 3.x document: a file (JSON or YAML) or an http(s) URL")


def init(options: argparse.Namespace) -> int:
    """Write the files; print what was written and what to do next."""
    for value in (options.env, options.profile):
        if value is not None and not NAME.fullmatch(value):
            raise ConfigError(f"init: {value!r} is not a file name (letters, digits, '_', '.', '-')")
    if options.openapi:
        from tenantcheck.commands.openapi import init_from_openapi

        return init_from_openapi(options)
    root: Path = options.dir
    template = options.template or (options.env if (bundled_dir("environments") / f"{options.env}.toml").is_file()
                                    else "preview")
    source = bundled_dir("environments") / f"{template}.toml"
    if not source.is_file():
        shipped = ", ".join(sorted(path.stem for path in bundled_dir("environments").glob("*.toml")))
        raise ConfigError(f"init: no shipped environment {template!r}; shipped: {shipped}")
    text = source.read_text()
    written: list[Path] = []
    if options.profile:
        match = re.search(r'^profile = "([^"]*)"', text, re.MULTILINE)
        base = match.group(1) if match else "pom-bolt"
        profile_path = root / "profiles" / f"{options.profile}.toml"
        write(profile_path, named_file("profiles", base).read_text(), force=options.force)
        written.append(profile_path)
        text = PROFILE_LINE.sub(f'profile = "{options.profile}"', text, count=1)
    env_path = root / "environments" / f"{options.env}.toml"
    write(env_path, text, force=options.force)
    written.insert(0, env_path)
    for path in written:
        print(f"tenantcheck init: wrote {path}")
    variables = sorted(set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)\}", text)))
    if variables:
        print(f"next: set {', '.join(variables)} (in the shell or the CI secret store), review {env_path}, then")
    print(f"      tenantcheck run --env {options.env}")
    return 0


def write(path: Path, text: str, *, force: bool) -> None:
    if path.exists() and not force:
        raise ConfigError(f"init: {path} exists; pass --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
