"""``mailbox-audit synth``: generate synthetic Exchange evidence with its ground truth."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from forensics.errors import ForensicsError


class SynthError(ForensicsError):
    """Bad synth arguments (unknown scenario or format, too few events, unwritable folder)."""


def add_parser(sub: argparse._SubParsersAction) -> None:
    from forensics.synth.generate import DEFAULT_FORMATS, FORMATS, LOGS
    from forensics.synth.scenarios import SCENARIOS

    p = sub.add_parser(
        "synth",
        help="generate synthetic evidence in every format, with truth.json",
        description="Write a synthetic case (evidence/ in every format, truth.json, identities.csv) "
                    "from a scenario. The same seed always gives byte-identical files.",
    )
    p.add_argument("--scenario", default="contoso", choices=sorted(SCENARIOS), help="scenario name (default contoso)")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder (created)")
    p.add_argument("--events", type=int, metavar="N",
                   help="store accesses to generate (= Exchange Auditing records); default: the scenario's size")
    p.add_argument("--seed", type=int, default=1, metavar="S", help="random seed (default 1)")
    p.add_argument("--formats", nargs="+", choices=FORMATS, default=list(DEFAULT_FORMATS), metavar="FMT",
                   help=f"formats to write: {' '.join(FORMATS)} (default all but {' '.join(sorted(set(FORMATS) - set(DEFAULT_FORMATS)))})")
    p.add_argument("--logs", nargs="+", choices=LOGS, default=list(LOGS),
                   help="which Windows logs evtx/xml/csv/evt hold (management: .evtx only)")
    p.add_argument("--identities-out", type=Path, metavar="FILE",
                   help="where to write the directory export (default OUT/identities.csv)")
    p.add_argument("--staff", type=int, metavar="N", help="extra generic users (default: grows with --events)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from forensics.synth.generate import generate

    if args.events is not None and args.events < 0:
        raise SynthError("--events must be positive")
    if args.out.exists() and not args.out.is_dir():
        raise SynthError(f"{args.out}: exists and is not a folder")
    command = "mailbox-audit synth " + " ".join(
        shlex.quote(a) for a in [f"--scenario={args.scenario}", f"--seed={args.seed}"]
        + ([f"--events={args.events}"] if args.events is not None else [])
        + ["--formats", *args.formats] + (["--staff", str(args.staff)] if args.staff is not None else [])
    )
    try:
        result = generate(args.scenario, args.out, seed=args.seed, events=args.events, formats=args.formats,
                          logs=args.logs, staff=args.staff, identities=args.identities_out, command=command,
                          progress=lambda n: print(f"  {n:,} accesses", file=sys.stderr))
    except ValueError as exc:
        raise SynthError(str(exc)) from exc
    except OSError as exc:
        raise SynthError(f"{args.out}: cannot write ({exc.strerror or exc})") from exc
    truth = result.truth
    print(f"scenario {truth['scenario']} seed {truth['seed']}: {result.accesses:,} accesses "
          f"({truth['events']:,} store accesses) in {result.seconds:.1f} s")
    for name, fmt in truth["formats"].items():
        print(f"  {name:24} {fmt['records']:>10,} records {fmt['rows']:>10,} rows  {len(fmt['files'])} file(s)")
    print(f"wrote {args.out / 'truth.json'} and {args.out / truth['identities_csv']}; load {args.out / 'evidence'}")
    return 0
