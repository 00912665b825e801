"""The commands ``kubectl exec`` can run in the example's containers: nothing
runs for real, a few built-ins are simulated.

- ``cat``: copies stdin to stdout until end-of-file (``cat FILE``: no such file);
- ``echo [-n] ARGS...``: prints the arguments;
- ``env``: prints the container's environment, one ``NAME=value`` a line;
- ``sh -c SCRIPT``: runs SCRIPT as one of these built-ins; ``exit N`` ends with code N;
- ``true`` and ``false``: exit 0 and 1.

Anything else writes "command not found" to stderr and exits 127, as a shell does.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from vk_plugin_sdk import Container, ExecSession, ExitStatus

BUILTINS = ("cat", "echo", "env", "sh -c", "exit", "true", "false")


async def run_builtin(
    command: Sequence[str], container: Container, session: ExecSession, tty: bool
) -> ExitStatus:
    """Simulate ``command`` in ``container``, talking through ``session``."""

    async def stderr(text: str) -> None:
        # With a TTY, stderr is merged into the terminal (stdout).
        write = session.write_stdout if tty else session.write_stderr
        await write(text.encode())

    if not command:
        await stderr("example plugin: no command given\n")
        return ExitStatus(127)
    name, args = command[0].rsplit("/", 1)[-1], list(command[1:])
    match name:
        case "cat":
            if args:
                await stderr(f"cat: {args[0]}: No such file or directory\n")
                return ExitStatus(1)
            async for chunk in session.stdin():
                await session.write_stdout(chunk)
            return ExitStatus(0)
        case "echo":
            newline = not (args and args[0] == "-n")
            text = " ".join(args if newline else args[1:])
            await session.write_stdout((text + ("\n" if newline else "")).encode())
            return ExitStatus(0)
        case "env":
            lines = [
                f"{e.get('name', '')}={e.get('value', '')}\n" for e in container.get("env", [])
            ]
            await session.write_stdout("".join(lines).encode())
            return ExitStatus(0)
        case "sh" | "bash" if len(args) >= 2 and args[0] == "-c":
            return await _script(args[1], container, session, tty)
        case "true":
            return ExitStatus(0)
        case "false":
            return ExitStatus(1)
    await stderr(
        f"example plugin: {name}: command not found (simulated built-ins: {', '.join(BUILTINS)})\n"
    )
    return ExitStatus(127)


async def _script(script: str, container: Container, session: ExecSession, tty: bool) -> ExitStatus:
    try:
        words = shlex.split(script)
    except ValueError as error:
        await session.write_stderr(f"sh: {error}\n".encode())
        return ExitStatus(2)
    if words and words[0] == "exit":
        if len(words) == 1:
            return ExitStatus(0)
        if words[1].isdigit():
            return ExitStatus(int(words[1]) % 256)
        await session.write_stderr(f"sh: exit: {words[1]}: numeric argument required\n".encode())
        return ExitStatus(2)
    return await run_builtin(words, container, session, tty)
