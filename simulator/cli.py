"""The `simulator` command (contracts.md). Each subcommand's work lives in its concept's module;
this file only parses arguments and dispatches, importing lazily so `validate` stays fast."""

from __future__ import annotations

import argparse
import sys


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="simulator", description="Customer-service role-play trainer")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="start the web app (trainee and supervisor pages)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=7860)
    s.add_argument("--backend", choices=["scripted", "openai"], default=None,
                   help="customer engine (default: openai when SIMULATOR_LLM_BASE_URL is set, else scripted)")

    s = sub.add_parser("validate", help="check scenario and rubric files or folders")
    s.add_argument("paths", nargs="+")

    s = sub.add_parser(
        "play", help="role-play a scenario in the terminal",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Role-play a scenario in the terminal. The trainee brief is shown, the customer speaks\n"
                    "first and you type your replies (/hold SECONDS [message] keeps her on hold, /quit\n"
                    "stops); when the contact ends, the score card is printed. All in the scenario's language.",
        epilog="examples:\n"
               "  simulator play catalog-bride-ja\n"
               "  simulator play drafts/my-scenario.yaml          # a scenario file anywhere, e.g. a draft\n"
               "  simulator play order-inquiry-en --trainee-lines replies.txt > session.json\n"
               "  simulator play sim-activation-ja --trainee 山田 --rubric extended\n\n"
               "Scoring uses the heuristic scorer (offline, deterministic) with --rubric (default: the\n"
               "'default' rubric: empathy, unspoken_needs, wait_time).")
    s.add_argument("scenario", metavar="SCENARIO",
                   help="a scenario id from scenarios/ (e.g. catalog-bride-ja; `simulator validate scenarios` "
                        "lists them) or the path of a scenario .yaml file anywhere")
    s.add_argument("--backend", choices=["scripted", "openai"], default="scripted",
                   help="customer engine: scripted (default, offline) or openai (an OpenAI-compatible endpoint "
                        "from SIMULATOR_LLM_BASE_URL / SIMULATOR_LLM_MODEL)")
    s.add_argument("--trainee-lines", metavar="FILE", default=None,
                   help="play these trainee messages in order (one per line, - for stdin; /hold and /quit work "
                        "here too) and print the session as JSON instead of playing interactively")
    s.add_argument("--trainee", metavar="NAME", default=None,
                   help="also record the session and its score card in the session store "
                        "(SIMULATOR_DATABASE_URL, default ./data/simulator.db) under this trainee name")
    s.add_argument("--seed", type=int, default=0,
                   help="seed for the customer's choice of lines (default 0): the same seed and messages "
                        "replay the same conversation")
    s.add_argument("--rubric", metavar="ID|PATH", default="default",
                   help="rubric for the score card: an id (default, extended) or a rubric .yaml path "
                        "(default: default)")

    s = sub.add_parser("score", help="score a transcript and print the score card")
    s.add_argument("transcript")
    s.add_argument("--rubric", default="default", help="rubric id or path")
    s.add_argument("--judge", choices=["heuristic", "llm", "auto"], default="heuristic")
    s.add_argument("--format", choices=["json", "md"], default="json")

    s = sub.add_parser("calibrate", help="score every scenario's example transcripts against their bands")
    s.add_argument("scenarios", nargs="*")
    s.add_argument("--rubric", default="default")

    s = sub.add_parser("export", help="export stored sessions with their score cards")
    s.add_argument("--format", choices=["csv", "json", "html", "pdf"], required=True)
    s.add_argument("-o", "--output", default=None, help="file to write (default: stdout for csv/json)")
    s.add_argument("--trainee", default=None)
    s.add_argument("--scenario", default=None)
    s.add_argument("--since", default=None, help="YYYY-MM-DD")
    s.add_argument("--until", default=None, help="YYYY-MM-DD")
    s.add_argument("--session", default=None, help="one session id (html/pdf report)")

    s = sub.add_parser("schema", help="print the JSON Schema of a file format")
    s.add_argument("kind", choices=["scenario", "rubric"])

    s = sub.add_parser("explain", help="how the reader hears each trainee TEXT (one JSON line per TEXT)")
    s.add_argument("texts", nargs="+", metavar="TEXT")
    s.add_argument("--lang", choices=["ja", "en"], default=None,
                   help="language of the texts (default: the scenario's, else guessed from the script)")
    s.add_argument("--scenario", default=None, help="scenario id or file: also hear its own intents")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "validate":
        from simulator.loading import cmd_validate
        return cmd_validate(args.paths)
    if args.command == "schema":
        from simulator.loading import cmd_schema
        return cmd_schema(args.kind)
    if args.command == "play":
        from simulator.customers.play import cmd_play
        return cmd_play(args)
    if args.command in ("score", "calibrate"):
        from simulator.scoring import commands
        return commands.cmd_score(args) if args.command == "score" else commands.cmd_calibrate(args)
    if args.command == "export":
        from simulator.export import cmd_export
        return cmd_export(args)
    if args.command == "explain":
        from simulator.language.explain import cmd_explain
        return cmd_explain(args)
    if args.command == "serve":
        import gc
        # Start-up allocates a great deal (gradio's imports, the catalog) and frees little: the
        # collector's passes over it are wasted. launch() freezes what was built and re-enables it.
        gc.disable()
        from simulator.web.app import cmd_serve
        return cmd_serve(args)
    return 2


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
