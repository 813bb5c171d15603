"""Output: provenance, stdout rendering of several files, atomic writes, drift detection."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corsc import provenance
from corsc.backends import OutputFile
from corsc.frontend import load
from corsc.ir import PolicySet
from corsc.output_plan import OutputError, plan
from corsc.output_text import render_stdout
from corsc.output_write import write_all
from corsc.source import Source


def policy_set(text: str) -> PolicySet:
    loaded = load(Source("dir/api.cors", text))
    assert loaded.policy_set is not None
    return loaded.policy_set


def test_provenance_names_version_file_target_and_hash_without_time() -> None:
    line = provenance.provenance(
        "1.2.3", "dir/api.cors", "nginx", policy_set("policy p { origins * }")
    )
    assert line.startswith("corsc 1.2.3 from api.cors for target nginx; policy sha256:")
    assert line.endswith("generated — edit the policy, not this file")


def test_hash_ignores_layout_but_not_meaning() -> None:
    one = provenance.provenance(
        "1", "a", "t", policy_set('policy p { origins "https://a.example" }')
    )
    reformatted = provenance.provenance(
        "1", "a", "t", policy_set('# comment\npolicy p {\n  origins  "https://A.example"\n}\n')
    )
    other = provenance.provenance(
        "1", "a", "t", policy_set('policy p { origins "https://b.example" }')
    )
    assert one == reformatted
    assert one != other


def test_comparable_masks_only_the_version() -> None:
    text = "# corsc 0.1.0 from api.cors for target nginx; policy sha256:ab; generated\nx\n"
    assert provenance.comparable(text) == provenance.comparable(text.replace("0.1.0", "9.9"))
    assert provenance.comparable(text) != provenance.comparable(
        text.replace("sha256:ab", "sha256:cd")
    )


def test_several_files_on_stdout_are_introduced() -> None:
    files = [
        OutputFile("a.conf", "A\n", "inside http {}"),
        OutputFile("b.conf", "B\n", "inside server {}"),
    ]
    assert render_stdout(files) == (
        "# ===== a.conf — inside http {}\nA\n\n# ===== b.conf — inside server {}\nB\n"
    )
    assert render_stdout(files[:1]) == "A\n"


def test_plan_single_file_and_directory(tmp_path: Path) -> None:
    one = [OutputFile("web.config", "x", "site root")]
    assert plan(one, str(tmp_path / "out.config")).items[0].path == tmp_path / "out.config"
    assert plan(one, str(tmp_path)).items[0].path == tmp_path / "web.config"
    two = [OutputFile("a", "1", ""), OutputFile("b", "2", "")]
    assert [p.path for p in plan(two, f"{tmp_path / 'new'}/").items] == [
        tmp_path / "new" / "a",
        tmp_path / "new" / "b",
    ]
    # Several files never turn a name that does not exist yet into a directory.
    with pytest.raises(OutputError) as raised:
        plan(two, str(tmp_path / "cors.conf"), "nginx")
    assert str(raised.value) == (
        f"cannot write {tmp_path / 'cors.conf'}: target nginx writes 2 files (a, b), so the "
        f"path names a directory: an existing one, or `{tmp_path / 'cors.conf'}/` to create it"
    )


def write(path: Path, content: str) -> None:
    write_all(plan([OutputFile(path.name, content, "")], str(path)))


def test_write_replaces_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("old")
    write(target, "new")
    assert target.read_text() == "new"
    assert os.listdir(tmp_path) == ["file"]


def test_write_keeps_the_old_file_when_writing_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "file"
    target.write_text("old")

    def fail(*args: object) -> None:
        raise OSError(28, "disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OutputError, match="disk full"):
        write(target, "new")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["file"]


def test_unchanged_files_are_not_rewritten(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.write_text("same")
    before = target.stat().st_mtime_ns
    planned = plan([OutputFile("out", "same", "")], str(target))
    assert not planned.items[0].changed
    write_all(planned)
    assert target.stat().st_mtime_ns == before


# ---- writing through the command line: refused targets, all or nothing, symlinks ----------

NGINX_TWO = (
    'policy api {\n  paths "/api"\n  origins "https://a.example", "https://b.example"\n}\n'
    'policy web {\n  paths "/web"\n  origins "https://c.example"\n}\n'
)
ONE = 'policy api {\n  origins "https://a.example"\n}\n'


def corsc(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    from corsc import cli

    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def snapshot(directory: Path) -> dict[str, bytes | str]:
    """Every entry under ``directory``: file bytes, or what a non-file is."""
    result: dict[str, bytes | str] = {}
    for path in sorted(directory.rglob("*")):
        key = str(path.relative_to(directory))
        if path.is_symlink():
            result[key] = f"link→{os.readlink(path)}"
        elif path.is_file():
            result[key] = path.read_bytes()
        else:
            result[key] = "dir"
    return result


@pytest.fixture
def source(tmp_path: Path):
    def write(text: str = ONE, name: str = "api.cors") -> str:
        path = tmp_path / "src" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda p: os.mkfifo(p), "it is a FIFO; corsc writes only regular files"),
        (
            lambda p: (
                p.parent.joinpath("dev").symlink_to("/dev/null") or p.symlink_to(p.parent / "dev")
            ),
            "it is a character device; corsc writes only regular files",
        ),
        (lambda p: p.symlink_to(p), "its symbolic links do not resolve"),
    ],
    ids=["fifo", "link-to-device", "link-loop"],
)
def test_a_target_that_is_not_a_regular_file_is_refused(
    capsys, source, tmp_path: Path, make, problem: str
) -> None:
    out = tmp_path / "out" / "web.config"
    out.parent.mkdir()
    make(out)
    before = snapshot(tmp_path / "out")
    for extra in ([], ["--check"]):
        code, _, err = corsc(
            capsys, "compile", source(), "--target", "json", "-o", str(out), *extra
        )
        assert code == 2, err
        assert f"corsc: error: cannot write {out}: {problem}" in err
    assert snapshot(tmp_path / "out") == before


def test_a_directory_where_the_file_goes_is_refused(capsys, source, tmp_path: Path) -> None:
    (tmp_path / "out" / "api.json").mkdir(parents=True)
    code, _, err = corsc(
        capsys, "compile", source(), "--target", "json", "-o", str(tmp_path / "out")
    )
    assert code == 2
    assert err == (
        f"corsc: error: cannot write {tmp_path / 'out' / 'api.json'}: it is a directory; corsc "
        "writes only regular files\n"
    )


def test_a_character_device_is_refused_not_replaced(capsys, source) -> None:
    code, _, err = corsc(capsys, "compile", source(), "--target", "json", "-o", "/dev/null")
    assert code == 2
    assert err == (
        "corsc: error: cannot write /dev/null: it is a character device; corsc writes only "
        "regular files\n"
    )
    assert Path("/dev/null").is_char_device()


@pytest.mark.parametrize(
    "destination", ["/proc/self/corsc.json", "/sys/corsc.json", "/proc/version"]
)
def test_kernel_file_systems_are_a_diagnostic(capsys, source, destination: str) -> None:
    code, _, err = corsc(capsys, "compile", source(), "--target", "json", "-o", destination)
    assert code == 2
    assert err.startswith(f"corsc: error: cannot write {destination}: ")
    assert "internal error" not in err


def test_a_parent_that_is_a_file(capsys, source, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("keep")
    for destination, args in [
        (blocker / "out.json", ["--target", "json"]),
        (blocker / "deeper" / "out.json", ["--target", "json"]),
        (blocker, ["--target", "nginx"]),  # a set needs a directory
    ]:
        code, _, err = corsc(capsys, "compile", source(NGINX_TWO), *args, "-o", str(destination))
        assert code == 2, err
        last = err.splitlines()[-1]
        assert last.startswith(f"corsc: error: cannot write {destination}: ")
        assert last.endswith(f"{blocker} is a file, not a directory") or last.endswith(
            "it is a file, not a directory"
        )
    assert blocker.read_text() == "keep"


def test_a_set_is_written_all_or_nothing(capsys, source, tmp_path: Path) -> None:
    out = tmp_path / "conf"
    out.mkdir()
    (out / "corsc-api.http.conf").write_text("old api http\n")
    (out / "corsc-web.conf").mkdir()  # one file of the set cannot be written
    before = snapshot(out)
    code, _, err = corsc(capsys, "compile", source(NGINX_TWO), "--target", "nginx", "-o", str(out))
    assert code == 2
    assert f"cannot write {out / 'corsc-web.conf'}: it is a directory" in err
    assert snapshot(out) == before  # the files before it in the set were not written either


def test_a_failure_while_staging_removes_every_temporary(
    capsys, source, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "conf"
    calls = []
    real = os.fsync

    def fsync(descriptor: int) -> None:
        calls.append(descriptor)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        real(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    code, _, err = corsc(capsys, "compile", source(NGINX_TWO), "--target", "nginx", "-o", f"{out}/")
    assert code == 2
    assert "No space left on device" in err
    assert not out.exists()  # the directory it created is gone too


def test_a_failed_rename_leaves_no_temporary(
    capsys, source, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "conf"
    out.mkdir()

    def replace(*args: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", replace)
    code, _, err = corsc(capsys, "compile", source(NGINX_TWO), "--target", "nginx", "-o", str(out))
    assert code == 2 and "Input/output error" in err
    assert snapshot(out) == {}


@pytest.mark.parametrize("failing", [1, 2, 3, 4])
def test_a_rename_that_fails_midway_puts_back_the_files_already_renamed(
    capsys, source, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: int
) -> None:
    out = tmp_path / "conf"
    out.mkdir()
    for name in ("corsc-api.conf", "corsc-web.http.conf"):
        (out / name).write_text(f"old {name}\n")
    before = snapshot(out)
    real = os.replace
    calls = []

    def replace(source: object, target: object) -> None:
        calls.append(target)
        if len(calls) == failing:
            raise OSError(5, "Input/output error")
        real(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", replace)
    code, _, err = corsc(capsys, "compile", source(NGINX_TWO), "--target", "nginx", "-o", str(out))
    assert code == 2 and err.splitlines()[-1].endswith(": Input/output error")
    assert snapshot(out) == before


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[tuple[Path, Callable[[], None]]]:
    """A directory, and a function that makes it read-only for corsc. As root (which ignores
    permission bits) it is a tmpfs remounted read-only; otherwise its mode bits."""
    directory = tmp_path / "conf"
    directory.mkdir()
    mounted = os.geteuid() == 0
    if mounted:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(directory)], check=True
        )

    def freeze() -> None:
        if mounted:
            subprocess.run(["mount", "-o", "remount,ro", str(directory)], check=True)
        else:
            directory.chmod(0o555)

    try:
        yield directory, freeze
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(directory)], check=True)
        else:
            directory.chmod(0o755)


def test_a_read_only_directory_is_a_diagnostic(capsys, source, read_only) -> None:
    out, freeze = read_only
    (out / "corsc-api.conf").write_text("old\n")
    freeze()
    before = snapshot(out)
    path = source(NGINX_TWO)
    code, _, err = corsc(capsys, "compile", path, "--target", "nginx", "-o", str(out))
    assert code == 2, err
    assert re.fullmatch(
        f"corsc: error: cannot write {re.escape(str(out / 'corsc-api.http.conf'))}: "
        "(Read-only file system|Permission denied)",
        err.splitlines()[-1],
    )
    assert snapshot(out) == before
    code, _, err = corsc(
        capsys, "compile", path, "--target", "json", "-o", str(out / "a" / "b.json")
    )
    assert code == 2
    assert re.fullmatch(
        f"corsc: error: cannot write {re.escape(str(out / 'a' / 'b.json'))}: cannot create "
        f"{re.escape(str(out / 'a'))}: (Read-only file system|Permission denied)",
        err.splitlines()[-1],
    )
    assert snapshot(out) == before


def test_a_symlink_is_written_through_and_stays_a_link(capsys, source, tmp_path: Path) -> None:
    real = tmp_path / "real" / "api.json"
    real.parent.mkdir()
    real.write_text("old")
    real.chmod(0o640)
    link = tmp_path / "site" / "api.json"
    link.parent.mkdir()
    link.symlink_to(os.path.relpath(real, link.parent))
    code, _, err = corsc(capsys, "compile", source(), "--target", "json", "-o", str(link))
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == "../real/api.json"
    assert real.read_text().startswith('{\n  "generated_by": "corsc')
    assert real.stat().st_mode & 0o777 == 0o640
    assert sorted(os.listdir(real.parent)) == ["api.json"]
    assert sorted(os.listdir(link.parent)) == ["api.json"]
    code, _, _ = corsc(capsys, "compile", source(), "--target", "json", "-o", str(link), "--check")
    assert code == 0


def test_merge_writes_through_a_symlink(capsys, source, tmp_path: Path) -> None:
    real = tmp_path / "real.config"
    real.write_text('<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n</configuration>\n')
    link = tmp_path / "web.config"
    link.symlink_to(real.name)
    code, _, err = corsc(capsys, "compile", source(), "--target", "iis", "--merge", str(link))
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == "real.config"
    assert "<cors" in real.read_text()
    assert sorted(os.listdir(tmp_path)) == ["real.config", "src", "web.config"]


@pytest.mark.parametrize("special", ["/dev/zero", "/dev/null", "dir", "fifo"])
def test_merge_refuses_what_is_not_a_regular_file(capsys, source, tmp_path: Path, special) -> None:
    path = special
    if special == "dir":
        path = str(tmp_path / "web.config")
        os.mkdir(path)
    elif special == "fifo":
        path = str(tmp_path / "web.config")
        os.mkfifo(path)
    code, _, err = corsc(capsys, "compile", source(), "--target", "iis", "--merge", path)
    assert code == 2
    what = {"dir": "a directory", "fifo": "a FIFO"}.get(special, "a character device")
    assert err.endswith(f"corsc: error: cannot read {path}: it is {what}, not a regular file\n")


# ---- stale outputs ---------------------------------------------------------------------------


def test_a_renamed_policy_leaves_no_stale_snippet(capsys, source, tmp_path: Path) -> None:
    out = tmp_path / "conf"
    path = source(NGINX_TWO)
    assert corsc(capsys, "compile", path, "--target", "nginx", "-o", f"{out}/")[0] == 0
    assert sorted(os.listdir(out)) == [
        "corsc-api.conf",
        "corsc-api.http.conf",
        "corsc-web.conf",
        "corsc-web.http.conf",
    ]
    foreign = {
        "hand-written.conf": "# corsc-api.conf was here\n",
        "other-source.conf": (out / "corsc-web.conf")
        .read_text()
        .replace(" from api.cors ", " from other.cors "),
        "other-target.conf": (out / "corsc-web.conf")
        .read_text()
        .replace(" for target nginx;", " for target json;"),
        "quoted.conf": "server {}\n" * 2 + (out / "corsc-web.conf").read_text(),  # not a header
        # Copies with corsc's header but names corsc never writes: backups, notes, hidden.
        "README.txt": (out / "corsc-web.conf").read_text(),
        "corsc-web.conf.bak": (out / "corsc-web.conf").read_text(),
        ".corsc-web.conf": (out / "corsc-web.conf").read_text(),
        "notes.md": (out / "corsc-web.conf").read_text().split("\n")[0] + "\nuser notes\n",
    }
    for name, text in foreign.items():
        (out / name).write_text(text)
    (out / "link.conf").symlink_to("corsc-web.conf")
    renamed = source(NGINX_TWO.replace("policy web", "policy site"))
    assert renamed == path

    code, _, err = corsc(capsys, "compile", path, "--target", "nginx", "-o", str(out), "--check")
    assert code == 3
    assert f"corsc: {out / 'corsc-web.conf'} is no longer produced\n" in err
    assert f"corsc: {out / 'corsc-web.http.conf'} is no longer produced\n" in err
    assert f"corsc: {out / 'corsc-site.conf'} is out of date\n" in err

    code, _, err = corsc(capsys, "compile", path, "--target", "nginx", "-o", str(out))
    assert code == 0
    assert (
        f"corsc: removed {out / 'corsc-web.conf'}: an earlier output of {path} for nginx that "
        "this compile no longer produces\n"
    ) in err
    assert sorted(os.listdir(out)) == sorted(
        [
            "corsc-api.conf",
            "corsc-api.http.conf",
            "corsc-site.conf",
            "corsc-site.http.conf",
            "link.conf",
            *foreign,
        ]
    )
    for name, text in foreign.items():
        assert (out / name).read_text() == text
    assert corsc(capsys, "compile", path, "--target", "nginx", "-o", str(out), "--check")[0] == 0


@pytest.mark.parametrize("length", [256, 300, 5000])
def test_a_name_too_long_for_the_file_system_is_a_diagnostic(
    capsys, source, tmp_path: Path, length: int
) -> None:
    target = tmp_path / ("a" * length + ".json")
    code, _, err = corsc(capsys, "compile", source(), "--target", "json", "-o", str(target))
    assert code == 2
    assert err.startswith("corsc: error: cannot write ") and "File name too long" in err
    assert os.listdir(tmp_path) == ["src"]  # nothing written, no temporary left


@pytest.mark.parametrize("target", ["nginx", "json", "python", "iis-rewrite", "django"])
def test_outputs_recognise_their_own_header(target: str) -> None:
    from corsc.backends import EmitOptions, get

    loaded = load(Source("dir/x;y\n--z.cors", ONE))
    assert loaded.policy_set is not None
    backend = get(target)
    files = backend.emit(loaded.policy_set, EmitOptions("0.1.0", "dir/x;y\n--z.cors", target))
    for item in files:
        assert provenance.header_of(item.content) == ("x<U+003B>y<U+000A>-<U+002D>z.cors", target)


@pytest.mark.parametrize(
    "blocked", ["corsc-api.conf", "corsc-api.http.conf", "corsc-web.conf", "corsc-web.http.conf"]
)
@pytest.mark.parametrize("how", ["directory", "fifo", "link-to-device"])
def test_any_file_of_a_set_that_cannot_be_written_stops_the_whole_set(
    capsys, source, tmp_path: Path, blocked: str, how: str
) -> None:
    out = tmp_path / "conf"
    out.mkdir()
    for name in ("corsc-api.conf", "corsc-web.http.conf"):
        if name != blocked:
            (out / name).write_text(f"old {name}\n")
    if how == "directory":
        (out / blocked).mkdir()
    elif how == "fifo":
        os.mkfifo(out / blocked)
    else:
        (out / blocked).symlink_to("/dev/null")
    before = snapshot(out)
    code, _, err = corsc(capsys, "compile", source(NGINX_TWO), "--target", "nginx", "-o", str(out))
    assert code == 2
    assert err.splitlines()[-1].startswith(f"corsc: error: cannot write {out / blocked}: it is a ")
    assert snapshot(out) == before


SET_NAMES = ["corsc-api.conf", "corsc-api.http.conf", "corsc-web.conf", "corsc-web.http.conf"]
STATES = ["absent", "old", "directory", "fifo", "link-to-file", "link-to-device", "dangling"]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(STATES), min_size=4, max_size=4), st.booleans())
def test_a_set_is_all_or_nothing_whatever_is_in_the_directory(
    states: list[str], check: bool
) -> None:
    from corsc import cli

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        policy = root / "api.cors"
        policy.write_text(NGINX_TWO)
        out = root / "conf"
        out.mkdir()
        (root / "real").mkdir()
        for name, state in zip(SET_NAMES, states, strict=True):
            path = out / name
            if state == "old":
                path.write_text("old\n")
            elif state == "directory":
                path.mkdir()
            elif state == "fifo":
                os.mkfifo(path)
            elif state == "link-to-file":
                (root / "real" / name).write_text("old real\n")
                path.symlink_to(root / "real" / name)
            elif state == "link-to-device":
                path.symlink_to("/dev/null")
            elif state == "dangling":
                path.symlink_to(root / "real" / f"missing-{name}")
        before = snapshot(root)
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = cli.main(
                ["compile", str(policy), "--target", "nginx", "-o", str(out)]
                + (["--check"] if check else [])
            )
        refused = {"directory", "fifo", "link-to-device"} & set(states)
        if refused:
            assert code == 2
            assert snapshot(root) == before
        elif check:
            assert code == 3 and snapshot(root) == before
        else:
            assert code == 0, err.getvalue()
            for name, state in zip(SET_NAMES, states, strict=True):
                path = out / name
                assert path.is_symlink() == state.startswith(("link", "dangling"))
                assert path.read_text().startswith("# corsc ")
            assert not [p for p in root.rglob(".*.tmp")]
