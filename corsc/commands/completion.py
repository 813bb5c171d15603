"""``corsc completion bash|zsh|fish``: a shell-completion script, generated from corsc's own
argument parser when it runs, so it offers exactly the commands, options and values this corsc
takes and never drifts from them.

What a script completes: command names; each command's options; an option's values where
they are known (its ``choices``, the target names for ``--target``, the diagnostic codes and
slugs for ``--select``/``--ignore``); file names where an argument names a file; nothing for
free text (``--set``, ``--origin``).
"""

from __future__ import annotations

import argparse
import sys

from attrs import frozen

from corsc.records import fields_repr

SHELLS = ("bash", "zsh", "fish")


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = commands.add_parser(
        "completion",
        help="print a shell-completion script",
        description="Print a completion script for SHELL. bash: add "
        '`eval "$(corsc completion bash)"` to ~/.bashrc; zsh: `source <(corsc completion zsh)` '
        "in ~/.zshrc; fish: `corsc completion fish > ~/.config/fish/completions/corsc.fish`.",
    )
    sub.add_argument("shell", choices=SHELLS, metavar="SHELL", help="bash, zsh or fish")


@frozen
class Argument:
    """One option or positional of a command, as completion sees it. ``flags`` is empty for a
    positional; ``values`` are the words it takes (``None``: free text or, with ``files``, a
    file name); ``takes_value`` is false for a flag such as ``--strict``."""

    __repr__ = fields_repr

    flags: tuple[str, ...]
    help: str
    takes_value: bool
    values: tuple[str, ...] | None
    files: bool
    repeatable: bool


@frozen
class Command:
    __repr__ = fields_repr

    name: str
    help: str
    arguments: tuple[Argument, ...]


def _values(action: argparse.Action) -> tuple[str, ...] | None:
    """The words an argument takes, where corsc knows them."""
    if action.choices is not None:
        return tuple(str(choice) for choice in action.choices)
    if action.dest in {"target", "targets"}:
        from corsc.backends import target_names

        return tuple(target_names())
    if action.dest in {"select", "ignore"}:
        from corsc.selection import catalogue

        kinds = catalogue()
        return (*sorted(kinds), *sorted(kind.name for kind in kinds.values()))
    return None


def commands(parser: argparse.ArgumentParser) -> list[Command]:
    """The commands of ``parser`` (corsc's) and their arguments, in the order of ``--help``."""
    from corsc.cli import PATH_ARGUMENTS

    found = []
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {choice.dest: str(choice.help or "") for choice in action._choices_actions}
        for name, sub in action.choices.items():
            arguments = []
            for item in sub._actions:
                if isinstance(item, argparse._HelpAction):
                    continue
                arguments.append(
                    Argument(
                        tuple(item.option_strings),
                        str(item.help or "").replace("%(default)s", str(item.default)),
                        item.nargs != 0,
                        _values(item),
                        item.dest in PATH_ARGUMENTS,
                        isinstance(item, argparse._AppendAction) or item.nargs in {"+", "*"},
                    )
                )
            found.append(Command(name, helps.get(name, ""), tuple(arguments)))
    return found


def _words(words: tuple[str, ...]) -> str:
    return " ".join(words)


def bash(parsed: list[Command]) -> str:
    """A bash script defining ``_corsc`` and registering it with ``complete``."""
    cases = []
    for command in parsed:
        options = [flag for argument in command.arguments for flag in argument.flags]
        valued = []
        for argument in command.arguments:
            if not argument.flags or not argument.takes_value:
                continue
            if argument.values is not None:
                reply = f'COMPREPLY=($(compgen -W "{_words(argument.values)}" -- "$cur"))'
            elif argument.files:
                reply = 'COMPREPLY=($(compgen -f -- "$cur"))'
            else:
                reply = "COMPREPLY=()"
            valued.append(f"        {'|'.join(argument.flags)}) {reply}; return;;")
        positional = next((item for item in command.arguments if not item.flags), None)
        if positional is not None and positional.values is not None:
            rest = f'COMPREPLY=($(compgen -W "{_words(positional.values)}" -- "$cur"))'
        elif positional is not None:
            rest = 'COMPREPLY=($(compgen -f -- "$cur"))'
        else:
            rest = "COMPREPLY=()"
        cases.append(
            f"    {command.name})\n"
            '      case "$prev" in\n' + "".join(line + "\n" for line in valued) + "      esac\n"
            '      if [[ "$cur" == -* ]]; then\n'
            f'        COMPREPLY=($(compgen -W "{" ".join(options)} --help" -- "$cur"))\n'
            "      else\n"
            f"        {rest}\n"
            "      fi;;\n"
        )
    names = _words(tuple(command.name for command in parsed))
    return (
        "# bash completion for corsc (generated by `corsc completion bash`)\n"
        "_corsc() {\n"
        '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"\n'
        '  local command="" i\n'
        "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
        '    if [[ "${COMP_WORDS[i]}" != -* ]]; then command="${COMP_WORDS[i]}"; break; fi\n'
        "  done\n"
        '  case "$command" in\n'
        '    "")\n'
        f'      COMPREPLY=($(compgen -W "{names} --help --version" -- "$cur"));;\n'
        + "".join(cases)
        + "  esac\n"
        "}\n"
        "complete -o filenames -F _corsc corsc\n"
    )


def _zsh_text(text: str) -> str:
    """``text`` inside a single-quoted ``_arguments`` spec: brackets and colons escaped."""
    for char in "\\[]:":
        text = text.replace(char, "\\" + char)
    return text.replace("'", "'\\''")


def zsh(parsed: list[Command]) -> str:
    """A zsh script defining ``_corsc`` (``_arguments`` per command) and ``compdef``-ing it."""
    described = [f"'{command.name}:{_zsh_text(command.help)}'" for command in parsed]
    cases = []
    for command in parsed:
        specs = []
        for argument in command.arguments:
            if argument.values is not None:
                action = f":{_zsh_text(argument.flags[-1] if argument.flags else 'value')}:"
                action += "(" + " ".join(_zsh_text(value) for value in argument.values) + ")"
            elif argument.files:
                action = ":file:_files"
            elif argument.takes_value:
                action = ":value: "
            else:
                action = ""
            if not argument.flags:
                many = "*" if argument.repeatable else ""
                specs.append(f"'{many}{action}'")
                continue
            help = f"[{_zsh_text(argument.help)}]"
            star = "*" if argument.repeatable else ""
            if len(argument.flags) == 1:
                specs.append(f"'{star}{argument.flags[0]}{help}{action}'")
            else:
                exclusive = "" if argument.repeatable else f"({' '.join(argument.flags)})"
                for flag in argument.flags:
                    specs.append(f"'{exclusive}{star}{flag}{help}{action}'")
        body = " \\\n        ".join(specs)
        cases.append(f"    {command.name})\n      _arguments -s \\\n        {body};;\n")
    return (
        "#compdef corsc\n"
        "# zsh completion for corsc (generated by `corsc completion zsh`)\n"
        "_corsc() {\n"
        "  local -a commands\n"
        f"  commands=({' '.join(described)})\n"
        "  if (( CURRENT == 2 )); then\n"
        "    _describe -t commands 'corsc command' commands\n"
        "    return\n"
        "  fi\n"
        "  local command=$words[2]\n"
        "  shift words\n"
        "  (( CURRENT-- ))\n"
        "  case $command in\n" + "".join(cases) + "  esac\n"
        "}\n"
        'if [[ "$funcstack[1]" == _corsc ]]; then _corsc "$@"; else compdef _corsc corsc; fi\n'
    )


def _fish_text(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def fish(parsed: list[Command]) -> str:
    """A fish script of ``complete`` lines."""
    names = " ".join(command.name for command in parsed)
    lines = [
        "# fish completion for corsc (generated by `corsc completion fish`)",
        "complete -c corsc -f",
    ]
    for command in parsed:
        lines.append(
            f"complete -c corsc -n 'not __fish_seen_subcommand_from {names}' -a {command.name} "
            f"-d {_fish_text(command.help)}"
        )
        when = f"-n '__fish_seen_subcommand_from {command.name}'"
        for argument in command.arguments:
            if not argument.flags:
                if argument.values is not None:
                    lines.append(
                        f"complete -c corsc {when} -a {_fish_text(' '.join(argument.values))}"
                    )
                else:
                    lines.append(f"complete -c corsc {when} -F")
                continue
            parts = [f"complete -c corsc {when}"]
            for flag in argument.flags:
                parts.append(f"-l {flag[2:]}" if flag.startswith("--") else f"-s {flag[1:]}")
            if argument.takes_value:
                parts.append("-r")
                if argument.values is not None:
                    parts.append(f"-a {_fish_text(' '.join(argument.values))}")
                elif argument.files:
                    parts.append("-F")
            parts.append(f"-d {_fish_text(argument.help)}")
            lines.append(" ".join(parts))
    return "\n".join(lines) + "\n"


GENERATORS = {"bash": bash, "zsh": zsh, "fish": fish}


def run(args: argparse.Namespace) -> int:
    from corsc.cli import parser
    from corsc.commands.common import EXIT_OK

    sys.stdout.write(GENERATORS[args.shell](commands(parser())))
    return EXIT_OK
