"""`raceproof list`: the models, their parameters and properties, and the specs."""

from __future__ import annotations

import os
from pathlib import Path

import click
from rich.text import Text

from ..errors import RaceproofError
from .common import handle_errors, make_console


@click.command(name="list")
@click.option("--specs-dir", default="specs", show_default=True, type=click.Path(file_okay=False))
@handle_errors
def list_(specs_dir: str) -> None:
    """Show the models (parameters, properties) and the specs."""
    from ..registry import known_models, load_model
    from ..spec import load_spec

    console = make_console()
    for name, description in known_models().items():
        console.print(Text.assemble((f"model {name}", "bold"), f"  {description}"))
        try:
            cls = load_model(name)
        except RaceproofError as exc:
            console.print(Text(f"  {exc}", style="red"))
            continue
        console.print("  parameters:")
        for p in cls.params().values():
            console.print(f"    {p.name:<14} {p.describe()}" + (f"  — {p.help}" if p.help else ""))
        console.print("  properties:")
        for prop in cls.property_decls().values():
            console.print(f"    {prop.name:<26} {prop.kind:<17} {prop.doc.splitlines()[0] if prop.doc else ''}")
    folder = Path(specs_dir)
    spec_files = sorted(folder.glob("*.toml")) if folder.is_dir() else []
    console.print(Text.assemble(("specs", "bold"), f" in {specs_dir}/") if spec_files else f"no specs in {specs_dir}/")
    for path in spec_files:
        try:
            spec = load_spec(path)
        except RaceproofError as exc:
            console.print(Text(f"  {exc}", style="red"))
            continue
        expect = ", ".join(f"{k}={v}" for k, v in spec.expect.items())
        params = ", ".join(f"{k}={v}" for k, v in spec.params.items())
        console.print(f"  {os.fspath(path):<42} {spec.model_ref} ({params}); depth {spec.depth}; expect {expect}")
