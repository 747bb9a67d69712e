"""Open a page in headless Chromium and talk to it over the DevTools protocol, standard library only.

Chromium started with ``--remote-debugging-pipe`` reads DevTools commands (JSON, each ending in a
NUL byte) on file descriptor 3 and writes replies and events on descriptor 4; no websocket
library is needed. :func:`render` loads a page, collects console errors and uncaught exceptions,
evaluates JavaScript in it and takes a screenshot.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


@dataclass
class Rendered:
    """What the browser saw."""

    console_errors: list[str] = field(default_factory=list)
    values: dict = field(default_factory=dict)
    screenshot: bytes = b""


class _Pipe:
    def __init__(self, process: subprocess.Popen, write_fd: int, read_fd: int) -> None:
        self.process, self.write_fd, self.read_fd = process, write_fd, read_fd
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        return self.wait(lambda m: m.get("id") == self.next_id)

    def wait(self, accept, timeout: float = 60.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self.buffer:
                raw, self.buffer = self.buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "method" in message:
                    self.events.append(message)
                if accept(message):
                    if "error" in message:
                        raise RuntimeError(f"DevTools error: {message['error']}")
                    return message
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from Chromium")
            ready, _, _ = select.select([self.read_fd], [], [], left)
            if ready:
                chunk = os.read(self.read_fd, 1 << 16)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe")
                self.buffer += chunk


def render(
    page: Path, expressions: dict[str, str], *, width: int = 1280, height: int = 800
) -> Rendered:
    """Load ``page`` and return console errors, the value of each JS expression and a screenshot."""
    profile = tempfile.mkdtemp(prefix="mirabal-chromium-")
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()

    def descriptors() -> None:  # in the child: the pipe ends on fds 3 and 4
        a, b = os.dup(to_child_r), os.dup(from_child_w)
        os.dup2(a, 3)
        os.dup2(b, 4)

    keep = (3, 4) if _open(3) and _open(4) else ()
    process = subprocess.Popen(
        [
            str(CHROMIUM),
            *FLAGS,
            f"--user-data-dir={profile}",
            "--remote-debugging-pipe",
            f"--window-size={width},{height}",
            "about:blank",
        ],
        preexec_fn=descriptors,
        pass_fds=keep,
        close_fds=bool(keep),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(to_child_r)
    os.close(from_child_w)
    pipe = _Pipe(process, to_child_w, from_child_r)
    result = Rendered()
    try:
        target = pipe.send("Target.createTarget", {"url": "about:blank"})["result"]["targetId"]
        session = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "result"
        ]["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            pipe.send(f"{domain}.enable", session=session)
        pipe.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        pipe.send("Page.navigate", {"url": page.resolve().as_uri()}, session=session)
        pipe.wait(lambda m: m.get("method") == "Page.loadEventFired", timeout=60)
        for name, expression in expressions.items():
            reply = pipe.send(
                "Runtime.evaluate",
                {"expression": expression, "returnByValue": True},
                session=session,
            )
            result.values[name] = reply["result"]["result"].get("value")
        shot = pipe.send("Page.captureScreenshot", {"format": "png"}, session=session)
        result.screenshot = base64.b64decode(shot["result"]["data"])
        for event in pipe.events:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                result.console_errors.append(json.dumps(params.get("args")))
            elif method == "Runtime.exceptionThrown":
                result.console_errors.append(json.dumps(params.get("exceptionDetails")))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                result.console_errors.append(params["entry"].get("text", ""))
        with contextlib.suppress(RuntimeError, TimeoutError):  # it may close before replying
            pipe.send("Browser.close")
    finally:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        os.close(to_child_w)
        os.close(from_child_r)
        shutil.rmtree(profile, ignore_errors=True)
    return result


def _open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True
