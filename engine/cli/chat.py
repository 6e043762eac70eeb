"""`remud chat`: ask the local GGUF model from the terminal, with budget forcing.

The thinking streams dimmed, the answer in normal text. Settings not given on the
command line come from the shared user settings (the same the Chat tab saves). With
`--project` the conversation is stored there (and `--session` continues one); without a
question on the command line and a terminal on stdin, it is an interactive session whose
follow-up questions reuse the model's cache.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from engine import settings
from engine.cli.common import EXIT_USAGE, error_line, positive_int
from engine.errors import CancelledError
from engine.i18n import tr
from engine.store import Project, chats


def add_chat_parser(sub, common: argparse.ArgumentParser) -> None:
    sp = sub.add_parser("chat", parents=[common], help=tr("chat with a local GGUF model (offline)"),
                        description=tr("Chat with a local GGUF model (offline), with budget forcing."))
    sp.add_argument("question", nargs="?", help=tr("the question (default: read stdin, or ask interactively)"))
    sp.add_argument("--model", "-m", help=tr("the model GGUF (default: the one set in the app)"))
    sp.add_argument("--mmproj", help=tr("the vision projector GGUF (needed for images)"))
    sp.add_argument("--image", "-i", help=tr("an image to ask about"))
    sp.add_argument("--min-think", type=int, metavar="N", help=tr("minimum thinking tokens (turns the minimum on)"))
    sp.add_argument("--max-think", type=int, metavar="M", help=tr("maximum thinking tokens (turns the maximum on)"))
    sp.add_argument("--no-min", action="store_true", help=tr("no minimum thinking length (the maximum may stay on)"))
    sp.add_argument("--no-budget", action="store_true", help=tr("no budget forcing: the model thinks as it likes"))
    sp.add_argument("--wait", help=tr('text inserted when thinking ends too early (default "Wait,")'))
    sp.add_argument("--num-waits", type=int, metavar="K", help=tr("insert the wait text at most K times"))
    sp.add_argument("--answer-prefix", help=tr('text after a forced end of thinking, e.g. "Answer:"'))
    sp.add_argument("--temperature", type=float)
    sp.add_argument("--top-p", type=float)
    sp.add_argument("--max-tokens", type=int, help=tr("maximum answer tokens"))
    sp.add_argument("--seed", type=int)
    sp.add_argument("--system", help=tr("system prompt"))
    sp.add_argument("--ctx", type=positive_int,
                    help=tr("context length in tokens (at most a few times what the model was trained with)"))
    sp.add_argument("--gpu-layers", type=int, help=tr("layers to offload to the GPU"))
    sp.add_argument("--threads", type=int)
    sp.add_argument("--project", help=tr("store the conversation in this project"))
    sp.add_argument("--session", type=int, help=tr("continue this conversation (with --project)"))
    sp.set_defaults(func=cmd_chat)


def _contradiction(args, b: dict[str, Any]) -> str | None:
    """One sentence when the minimum asked for (by flags, or by the settings) is above the maximum."""
    if not (b["use_min"] and b["use_max"] and b["min_thinking_tokens"] > b["max_thinking_tokens"]):
        return None
    low, high = b["min_thinking_tokens"], b["max_thinking_tokens"]
    if args.min_think is not None and args.max_think is not None:
        sentence = tr("--min-think {low} is above --max-think {high}; lower --min-think or raise --max-think.")
    elif args.max_think is not None:
        sentence = tr("--max-think {high} is below the minimum thinking length of {low} tokens in the settings; add "
                      "--min-think {high} (or less) or --no-min, or raise --max-think.")
    elif args.min_think is not None:
        sentence = tr("--min-think {low} is above the maximum thinking length of {high} tokens in the settings; add "
                      "--max-think {low} (or more), or lower --min-think.")
    else:
        sentence = tr("The settings' minimum thinking length ({low} tokens) is above their maximum ({high}); pass "
                      "--min-think and --max-think, or fix them with `remud settings`.")
    return sentence.format(low=low, high=high)


def _budget(args, saved: dict[str, Any]):
    """The budget forcing settings: the saved ones with the flags applied. BudgetSettingsError (one sentence)
    when they contradict each other."""
    from engine.chat import BudgetSettings  # deferred: engine.chat adds about 20 ms to every `remud` start
    from engine.chat.errors import BudgetSettingsError

    b = dict(saved)
    if args.no_budget:
        b.update(use_min=False, use_max=False)
    if args.no_min:
        b.update(use_min=False)
    if args.min_think is not None:
        if args.no_budget or args.no_min:
            flag = "--no-budget" if args.no_budget else "--no-min"
            raise BudgetSettingsError(tr("--min-think asks for a minimum and {flag} turns it off; give one of them.")
                                      .format(flag=flag))
        b.update(use_min=True, min_thinking_tokens=args.min_think)
    if args.max_think is not None:
        if args.no_budget:
            raise BudgetSettingsError(tr("--max-think asks for a maximum and --no-budget turns it off; give one of "
                                         "them."))
        b.update(use_max=True, max_thinking_tokens=args.max_think)
    for flag, key in (("wait", "wait"), ("num_waits", "num_waits"), ("answer_prefix", "answer_prefix")):
        if getattr(args, flag) is not None:
            b[key] = getattr(args, flag)
    sentence = _contradiction(args, b)
    if sentence:
        raise BudgetSettingsError(sentence)
    return BudgetSettings(**b)


def _sampling(args, saved: dict[str, Any]):
    from engine.chat import Sampling  # deferred: engine.chat adds about 20 ms to every `remud` start

    s = Sampling(**saved)
    changes = {k: v for k, v in (("temperature", args.temperature), ("top_p", args.top_p),
                                 ("max_answer_tokens", args.max_tokens), ("seed", args.seed)) if v is not None}
    return replace(s, **changes)


def _model_settings(args, opts: dict[str, Any]):
    # deferred: engine.chat adds about 20 ms to every `remud` start
    from engine.chat import ModelSettings
    from engine.chat.errors import ModelFileMissingError

    model = args.model or opts["model_path"]
    if not model:
        raise ModelFileMissingError(tr("No model given: pass --model FILE.gguf (or choose one in the Chat tab)."))
    mmproj = args.mmproj or (opts["mmproj_path"] if not args.model else "")
    return ModelSettings(
        model_path=Path(model), mmproj_path=Path(mmproj) if mmproj else None,
        n_ctx=args.ctx or opts["n_ctx"], n_gpu_layers=opts["n_gpu_layers"] if args.gpu_layers is None else args.gpu_layers,
        n_threads=args.threads or opts["n_threads"] or None, max_image_pixels=opts["max_image_pixels"],
        seed=-1 if args.seed is None else args.seed,
    )


class _Printer:
    """Streams events to the terminal: thinking dimmed (on a terminal), answer plain."""

    DIM, RESET = "\x1b[2m", "\x1b[0m"

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.color = sys.stdout.isatty()
        self.section = ""

    def __call__(self, event) -> None:
        if self.quiet:
            return
        section = "answer" if event.kind == "answer" else "thinking"
        if section != self.section:
            if self.section == "thinking" and self.color:
                sys.stdout.write(self.RESET)
            if self.section:
                sys.stdout.write("\n")
            if section == "thinking" and self.color:
                sys.stdout.write(self.DIM)
            self.section = section
        sys.stdout.write(event.text)
        sys.stdout.flush()

    def end(self) -> None:
        if self.section and not self.quiet:
            sys.stdout.write((self.RESET if self.section == "thinking" and self.color else "") + "\n")
            sys.stdout.flush()
        self.section = ""


def _summary(stats: dict[str, Any]) -> str:
    cut = tr(", maximum cut in") if stats.get("max_cut_in") else ""
    return tr("[{thinking} thinking tokens, {waits} waits{cut}; first token {first} s, {speed} tokens/s]").format(
        thinking=stats.get("thinking_tokens", 0), waits=stats.get("waits_inserted", 0), cut=cut,
        first=f"{stats.get('time_to_first_token_s', 0.0):.2f}", speed=f"{stats.get('tokens_per_second', 0.0):.1f}")


def cmd_chat(args) -> int:
    # deferred: engine.chat adds about 20 ms to every `remud` start
    from engine.chat import ChatEngine, ChatError, ChatTurn, Role
    from engine.chat.errors import BudgetSettingsError

    opts = settings.chat_options()
    try:
        budget = _budget(args, opts["budget"])
    except BudgetSettingsError as exc:  # contradictory flags: a usage error, before the model is loaded
        print(error_line(str(exc)), file=sys.stderr)
        return EXIT_USAGE
    sampling = _sampling(args, opts["sampling"])
    system = opts["system_prompt"] if args.system is None else args.system
    interactive = args.question is None and sys.stdin.isatty() and not args.json
    # interactive: each question is read in the loop below
    question: str = args.question if args.question is not None else ("" if interactive else sys.stdin.read().strip())
    if not interactive and not question:
        print(error_line(tr("no question: give one as an argument or on stdin.")), file=sys.stderr)
        return EXIT_USAGE
    if args.image and not Path(args.image).is_file():
        print(error_line(tr("the image {path} does not exist.").format(path=args.image)), file=sys.stderr)
        return 1
    model_settings = _model_settings(args, opts)
    project = session_id = None
    if args.project:
        project = Project.open(args.project)
        session_id = args.session or chats.create_session(project, model=model_settings.model_path.name).id
        chats.get_session(project, session_id)
    elif args.session:
        print(error_line(tr("--session needs --project.")), file=sys.stderr)
        return EXIT_USAGE
    printer = _Printer(quiet=args.json or args.quiet)
    engine = ChatEngine(model_settings)
    ask_kw = {"model": model_settings.model_path.name, "budget": budget, "sampling": sampling,
              "system_prompt": system, "on_event": printer}
    turns: list = [ChatTurn(Role.SYSTEM, system)] if system.strip() else []
    image = args.image
    try:
        while True:
            if interactive:
                try:
                    question = input("\n> ").strip()
                except EOFError:
                    return 0
                if not question:
                    continue
            try:
                with _StopOnCtrlC() as stop:
                    result_dict = _ask(engine, project, session_id, turns, question, image, ask_kw, stop)
            except (ChatError, CancelledError) as exc:
                printer.end()
                if not interactive:
                    raise
                print(error_line(str(exc)), file=sys.stderr)  # the question is forgotten; the session goes on
                continue
            printer.end()
            image = None  # the image belongs to the first question; follow-ups refer to it
            if args.json:
                print(json.dumps(result_dict, ensure_ascii=False, indent=2, default=str))
            elif not args.quiet:
                print(_summary(result_dict), file=sys.stderr)
            if not interactive:
                return 0
    finally:
        printer.end()
        engine.close()
        if project is not None:
            project.close()


def _ask(engine, project, session_id, turns: list, question: str, image, kw: dict, stop) -> dict[str, Any]:
    """One question and its answer: stored in the project, or kept in `turns` (only once answered)."""
    # deferred: engine.chat adds about 20 ms to every `remud` start
    from engine.chat import ChatTurn, Role, conversation

    if project is not None:
        msg = conversation.ask(project, session_id, engine, question, image=image, cancel=stop.is_set, **kw)
        return {"answer": msg.content, "thinking": msg.thinking, **msg.stats, "session": session_id, "message": msg.id}
    asked = [*turns, ChatTurn(Role.USER, question, Path(image) if image else None)]
    result = engine.generate(asked, budget=kw["budget"], sampling=kw["sampling"], on_event=kw["on_event"],
                             cancel=stop.is_set)
    turns[:] = [*asked, ChatTurn(Role.ASSISTANT, result.answer)]
    return result.to_dict()


class _StopOnCtrlC:
    """While an answer is written, the first Ctrl-C stops the answer (the model stops computing);
    a second one interrupts the program."""

    def __enter__(self) -> threading.Event:
        self.stop = threading.Event()
        self.previous = signal.getsignal(signal.SIGINT)
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, self._handle)
        return self.stop

    def _handle(self, signum, frame) -> None:
        if self.stop.is_set():
            raise KeyboardInterrupt
        self.stop.set()

    def __exit__(self, *exc) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, self.previous)

