"""`gwc plan`, `gwc apply`, `gwc status`, `gwc console`, `gwc destroy`: the runtime on the command line.

Each compiles the chosen site in memory, turns it into a `SiteTarget`
(hosts, URIs, guests) and hands it to the runtime.  Mistakes in the command
(an unknown `--host` or node) are diagnostics; failures on hosts are lines
naming the host, its URI, the node and libvirt's reason, and exit status 1
once every other host is done.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gwlang.commands.errors import CommandAborted, CommandFailed, RuntimeFailed
from gwlang.commands.progress import Progress
from gwlang.commands.sites import add_sources, pick_site, with_program
from gwlang.diagnostics import GwError, did_you_mean, error
from gwlang.emit.artifact import Artifact
from gwlang.model.program import Program
from gwlang.paths import checked
from gwlang.pipeline import compile_site
from gwlang.runtime import planfile
from gwlang.runtime.live import LiveHost
from gwlang.runtime.plan import Elsewhere, Plan, PlanOptions, plan_site
from gwlang.runtime.render import (
    name_list,
    render_failures,
    render_host_plan,
    render_notes,
    render_plan,
    render_status,
    render_steps,
)
from gwlang.runtime.target import SiteTarget, site_target

if TYPE_CHECKING:
    from gwlang.runtime.apply import Outcome, Verify

EPILOG = """\
examples:
  gwc plan sites/tcd.gw                         what apply would do on every host of the site
  gwc plan sites/tcd.gw -o tcd.plan             the same, saved (JSON) for `gwc apply tcd.plan`
  gwc apply tcd.plan                            exactly that plan; refused if sources or hosts changed
  gwc apply sites/tcd.gw                        show the plan, ask, then do it (`-y`: do not ask)
  gwc apply sites/tcd.gw --connect qemu:///system   every host of the site through one URI
  gwc status sites/tcd.gw --json                each node's host, state and drift, as JSON
  gwc console sites/tcd.gw ce                   the node's serial console (Ctrl-] leaves)
  gwc destroy -y sites/tcd.gw --delete-storage  stop, undefine, and delete the volumes too
"""


# The modules that import libvirt (apply, survey, console) are imported by the commands that use them:
# `gwc compile` and the other compiler commands neither pay for libvirt-python nor need it installed.
# The runtime commands check first that the `runtime` extra is there, so that a gwc installed without
# it says what to install instead of failing on an import.
RUNTIME_MODULES = {"libvirt": "libvirt-python", "pycdlib": "pycdlib"}   # module -> the package giving it


def require_runtime(command: str) -> None:
    """Stop `gwc COMMAND` with a one-line hint (exit 1) when the runtime extra is not installed."""
    missing = [package for module, package in RUNTIME_MODULES.items() if importlib.util.find_spec(module) is None]
    if missing:
        raise CommandAborted(f"`gwc {command}` needs the runtime extra ({' and '.join(missing)} "
                             f"{'is' if len(missing) == 1 else 'are'} not installed): pip install 'gwlang[runtime]'")


def register(commands: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    def add(name: str, help: str, description: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = commands.add_parser(
            name, parents=[common], help=help, description=description, epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter)
        return parser

    plan = add("plan", "show what apply would change on the site's hosts",
               "Compile the site, read every host through libvirt and print the actions apply would take.")
    apply = add("apply", "make the site's hosts match the sources",
                "Plan, then carry the plan out: pools, volumes, config disks, domains; guests started in "
                "dependency order, hosts in parallel.")
    status = add("status", "each node's host, live state and drift", "Read every host and compare.")
    destroy = add("destroy", "stop and undefine the site's domains",
                  "Stop and undefine the site's domains in reverse start order; volumes are kept unless "
                  "--delete-storage.")
    console = add("console", "a node's serial console", "Attach to a node's console through libvirt; "
                                                        "Ctrl-] leaves.")
    for parser in (plan, apply, status, destroy):
        add_sources(parser)
    apply.description = (f"{apply.description} `gwc apply PLAN` applies a plan saved by `gwc plan -o PLAN`, "
                         "only if neither the sources nor the hosts changed since.")
    apply.usage = "gwc apply [options] [FILE ...]\n       gwc apply [-y] [--break-lock] PLAN"
    for parser in (plan, apply, status, destroy):
        _add_hosts(parser)
    for parser in (plan, apply):
        parser.add_argument("--prune", action="store_true",
                            help="also remove this site's domains that the sources no longer have")
        parser.add_argument("--restart", action="store_true",
                            help="restart running guests whose definition changed")
    apply.add_argument("--break-lock", action="store_true",
                       help="remove another apply's lock first (only when that apply is known to be gone)")
    plan.add_argument("--json", action="store_true", help="print the plan as JSON (docs/runtime.md)")
    plan.add_argument("-o", "--out", metavar="PLAN",
                      help="also save the plan (JSON) to PLAN, for `gwc apply PLAN`")
    status.add_argument("--json", action="store_true", help="print the status as JSON (docs/runtime.md)")
    for parser in (apply, destroy):
        parser.add_argument("-y", "--yes", action="store_true",
                            help="do not show the plan and ask for confirmation (needed without a terminal)")
    destroy.add_argument("--delete-storage", action="store_true", help="also delete the nodes' volumes")
    console.add_argument("sources", nargs=1, metavar="FILE", help="the .gw file declaring the site")
    console.add_argument("node", metavar="NODE", help="the node whose console to attach to")
    console.add_argument("--site", metavar="S", help="the site, when the sources declare several")
    console.add_argument("--connect", metavar="URI", help="reach the node's host at URI instead of its `uri`")
    plan.set_defaults(handler=command_plan)
    apply.set_defaults(handler=command_apply)
    status.set_defaults(handler=command_status)
    destroy.set_defaults(handler=command_destroy)
    console.set_defaults(handler=command_console)


def _add_hosts(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", action="append", default=[], metavar="H",
                        help="only this host of the site (repeatable)")
    parser.add_argument("--connect", metavar="URI", help="reach every host at URI instead of its `uri`")


def _target(arguments: argparse.Namespace, program: Program) -> SiteTarget:
    return _compiled(arguments, program)[0]


def _compiled(arguments: argparse.Namespace, program: Program) -> tuple[SiteTarget, list[Artifact]]:
    """The site's target, and the artifacts it comes from (a saved plan records their digest)."""
    compiled = compile_site(program, pick_site(program, arguments.site))
    model = compiled.model
    for host in getattr(arguments, "host", []):
        if host not in model.hosts:
            raise GwError(error("E0701", f"site `{model.name}` has no host `{host}`", None,
                                help=did_you_mean(host, model.hosts),
                                notes=["hosts: " + ", ".join(f"`{h}`" for h in sorted(model.hosts))]).diagnostics)
    return site_target(compiled, arguments.connect, getattr(arguments, "host", [])), list(compiled.artifacts)


def _options(arguments: argparse.Namespace) -> PlanOptions:
    return PlanOptions(prune=arguments.prune, restart=arguments.restart)


def command_plan(arguments: argparse.Namespace) -> str:
    """The plan; exit 1 when a host it needed could not be read (the plan would be a guess there)."""
    require_runtime("plan")
    from gwlang.runtime.survey import survey
    out = checked(arguments.out, "the plan file") if arguments.out else None

    def run(program: Program) -> str:
        target, artifacts = _compiled(arguments, program)
        found, live = survey(target, _options(arguments))
        document = planfile.plan_document(found, _request(arguments, target.site), _sources(program),
                                          planfile.artifacts_digest(artifacts), live)
        text = planfile.dumps(document).rstrip("\n") if arguments.json else render_plan(found).rstrip("\n")
        unreadable = _unreadable(found)
        if unreadable:
            if out is not None:
                unreadable.append(f"plan not saved to {out}: a plan applies only to hosts it has read")
            raise RuntimeFailed(text, unreadable)
        if out is not None:
            try:
                out.write_text(planfile.dumps(document))
            except OSError as failure:
                raise CommandAborted(f"cannot write the plan to {out}: {failure.strerror or failure}") from None
            if not arguments.json:
                text += f"\nplan saved to {out}: `gwc apply {out}` applies exactly this plan"
        return text
    return with_program(arguments, run)


def _unreadable(found: Plan) -> list[str]:
    lines = [f"host {host.host} ({host.uri}): cannot be reached: {host.unreachable}"
             for host in found.hosts if host.unreachable is not None]
    return lines + [f"host {e.host}: cannot read node `{e.node}` that a node waits for: {e.state}"
                    for e in found.elsewhere if not e.readable]


def _request(arguments: argparse.Namespace, site: str) -> planfile.Request:
    return planfile.Request(tuple(str(Path(p).absolute()) for p in arguments.sources),
                            tuple(str(Path(p).absolute()) for p in arguments.include), site,
                            tuple(arguments.host), arguments.connect, _options(arguments))


def _sources(program: Program) -> dict[str, str]:
    """Every file the compile read (after it: imports computed while evaluating are loaded by then)."""
    return planfile.source_digests(program.session.loader.modules)


def command_apply(arguments: argparse.Namespace) -> str:
    require_runtime("apply")
    from gwlang.runtime.apply import Stale, apply_site
    saved = _saved_plan(arguments)
    if saved is not None:
        return _apply_saved(arguments, saved)
    if not arguments.yes:
        _need_terminal("apply")

    def run(program: Program) -> str:
        target = _target(arguments, program)
        verify = None
        if not arguments.yes:
            verify = _confirmed(target, _options(arguments))
            if verify is None:
                return ""
        try:
            with Progress(sys.stderr) as progress:
                outcome = apply_site(target, _options(arguments), arguments.break_lock, progress=progress.show,
                                     verify=verify)
        except Stale as stale:
            raise _stale("the hosts changed while the plan was shown; nothing was applied", stale.changes,
                         "run `gwc apply` again and review the new plan") from None
        return _finish(outcome, _apply_text(outcome))
    return with_program(arguments, run)


QUESTION = "Apply these changes? Only 'yes' is accepted:"
DESTROY_QUESTION = "Destroy these domains? Only 'yes' is accepted:"


def _need_terminal(command: str) -> None:
    """Without `-y`, apply and destroy ask on stdin: refuse at once (exit 2) when nobody can answer."""
    stdin = sys.stdin
    if stdin is None or not stdin.isatty():
        from gwlang.commands.errors import UsageError
        raise UsageError(f"`gwc {command}` asks for confirmation and stdin is not a terminal: "
                         f"pass `-y` to {command} without asking")


def _ask(text: str, question: str) -> bool:
    """Show `text` and ask; only the answer `yes` agrees (Terraform's rule: no `y`, no default)."""
    print(text, flush=True)
    sys.stdout.write(f"\n{question} ")
    sys.stdout.flush()
    return sys.stdin.readline().strip() == "yes"


def _confirmed(target: SiteTarget, options: PlanOptions) -> Verify | None:
    """Show the plan and ask; the check that the hosts are still as shown, or None when there is nothing to do.

    Refused: `RuntimeFailed` (exit 1), nothing done.
    """
    from gwlang.runtime.survey import survey
    found, live = survey(target, options)
    text = render_plan(found).rstrip("\n")
    actions = any(host.actions for host in found.hosts)
    if not actions and not found.unread:
        print(text)
        return None
    if not _ask(text, QUESTION):
        raise RuntimeFailed("", ["apply cancelled: only `yes` applies; nothing was changed"])
    print()
    document = planfile.plan_document(found, planfile.Request((), (), target.site, (), None, options), {}, "", live)
    return _verifier(target, options, document)


def _verifier(target: SiteTarget, options: PlanOptions, document: planfile.Json) -> Verify:
    """A `Verify` for `apply_site`: the hosts' states and the plan from them must be the ones in `document`."""
    saved = {host["host"]: host for host in document["hosts"]}

    def verify(live: Mapping[str, LiveHost | str], elsewhere: Mapping[str, Elsewhere]) -> list[str]:
        changes: list[str] = []
        before: dict[str, LiveHost | str] = {}
        for host in target.hosts:
            recorded, state = saved.get(host.name), live[host.name]
            if recorded is None:
                changes.append(f"host `{host.name}` was not in the plan")
                continue
            if isinstance(state, LiveHost):
                locked = {other.storage for other in target.hosts if other.uri == host.uri}
                state = planfile.before_lock(state, locked, recorded["state"])
            before[host.name] = state
            changes += planfile.host_changes(host.name, host.uri, recorded["state"], state)
        if changes:
            return changes
        now = plan_site(target, before, options, elsewhere)
        for planned in now.hosts:
            if [planfile.action_json(a) for a in planned.actions] != saved[planned.host]["actions"]:
                changes.append(f"host `{planned.host}` ({planned.uri}): its actions differ from the plan's")
        seen = {(e["node"], e["running"], e["state"]) for e in document["elsewhere"]}
        changes += [f"node `{e.node}` on host `{e.host}` (left out) is {e.state} now"
                    for e in now.elsewhere if (e.node, e.running, e.state) not in seen]
        return changes
    return verify


def _saved_plan(arguments: argparse.Namespace) -> Path | None:
    """The saved plan `gwc apply PLAN` names: one argument, a file not ending in `.gw`."""
    if len(arguments.sources) != 1:
        return None
    path = checked(arguments.sources[0], "the plan or source")
    if path.suffix == ".gw" or not path.is_file():
        return None
    given = [flag for flag, value in (("--site", arguments.site), ("--host", arguments.host),
                                      ("--connect", arguments.connect), ("--prune", arguments.prune),
                                      ("--restart", arguments.restart), ("-I", arguments.include)) if value]
    if given:
        from gwlang.commands.errors import UsageError
        raise UsageError(f"a saved plan carries the options it was made with: `gwc apply {path}` takes no "
                         f"{', '.join(f'`{flag}`' for flag in given)} (make a new plan with them)")
    return path


def _apply_saved(arguments: argparse.Namespace, path: Path) -> str:
    """`gwc apply PLAN`: recompile from the plan's request, check every input, apply under the same check."""
    from gwlang.runtime.apply import Stale, apply_site
    try:
        document = planfile.load(path)
    except planfile.NotAPlan as why:
        raise CommandFailed(error("E0721", f"`{path}` is not a plan this gwc can apply: {why}", None,
                                  notes=["`gwc apply FILE` takes a plan saved by `gwc plan -o FILE`, or "
                                         "`.gw` sources (files ending in `.gw`, or folders)"],
                                  help=f"make the plan again: `gwc plan SOURCES -o {path}`")) from None
    request = planfile.Request.from_json(document["request"])
    recorded = document["inputs"]["sources"]["files"]
    changes = planfile.source_changes(recorded, planfile.source_digests(Path(p) for p in recorded))
    if changes:
        raise CommandFailed(_stale(f"the plan `{path}` is stale: its sources changed since it was made",
                                   changes, _replan(request, path)))
    replay = argparse.Namespace(sources=list(request.sources), include=list(request.include),
                                site=request.site, host=list(request.hosts), connect=request.connect)

    def run(program: Program) -> str:
        target, artifacts = _compiled(replay, program)
        changed = planfile.source_changes(recorded, _sources(program))
        if not changed and planfile.artifacts_digest(artifacts) != document["inputs"]["artifacts"]:
            changed = [f"the compiled artifacts differ (the plan was made by gwc {document['gwc_version']})"]
        if changed:
            raise _stale(f"the plan `{path}` is stale: its sources changed since it was made", changed,
                         _replan(request, path))
        try:
            with Progress(sys.stderr) as progress:
                outcome = apply_site(target, request.options, arguments.break_lock, progress=progress.show,
                                     verify=_verifier(target, request.options, document))
        except Stale as stale:
            raise _stale(f"the plan `{path}` is stale: the hosts changed since it was made; nothing was applied",
                         stale.changes, _replan(request, path)) from None
        return _finish(outcome, _apply_text(outcome))
    return with_program(replay, run)


def _replan(request: planfile.Request, path: Path) -> str:
    options = "".join([f" --site {request.site}"] + [f" --host {h}" for h in request.hosts]
                      + ([f" --connect {request.connect}"] if request.connect else [])
                      + [" --prune"] * request.options.prune + [" --restart"] * request.options.restart)
    return (f"make a new plan, review it and apply that: `gwc plan {' '.join(request.sources)}{options} -o {path}`"
            f", then `gwc apply {path}`")


STALE_LINES = 20


def _stale(message: str, changes: list[str], help: str) -> GwError:
    notes = changes[:STALE_LINES]
    if len(changes) > STALE_LINES:
        notes.append(f"and {len(changes) - STALE_LINES:,} more changes")
    return error("E0720", message, None, notes=notes, help=help)


def _apply_text(outcome: Outcome) -> str:
    lines = [f"site {outcome.site}:"]
    for report in outcome.hosts:
        if report.plan is not None:
            lines += render_host_plan(report.plan)
        elif not report.failures:
            lines.append(f"host {report.host} ({report.uri}): not reached")
        lines += [f"  {note}" for note in render_notes(report.notes)]
    return "\n".join(lines + _apply_summary(outcome))


def _apply_summary(outcome: Outcome) -> list[str]:
    """How many changes, in what order guests started (folded for big sites), and which hosts were not read."""
    unread = [report.host for report in outcome.hosts if report.plan is None]
    if not outcome.changed and not outcome.failed:
        return ["nothing changed: every host already matches the sources"]
    done = sum(len(report.done) for report in outcome.hosts)
    lines = [f"{done:,} change{'s' if done != 1 else ''} made"
             + (f"; started in order: {name_list(outcome.order)}" if outcome.order else "")]
    if unread:
        lines.append(f"{len(unread):,} host{'s' if len(unread) != 1 else ''} not applied ({name_list(unread)}): "
                     "see the errors")
    failed = list(dict.fromkeys(node for report in outcome.hosts if report.plan is not None
                                for node, _ in report.problems if node is not None))
    if failed:
        lines.append(f"{len(failed):,} node{'s' if len(failed) != 1 else ''} failed or not started "
                     f"({name_list(failed)}): see the errors")
    return lines


def _finish(outcome: Outcome, text: str) -> str:
    if outcome.failed:
        raise RuntimeFailed(text, [line for report in outcome.hosts
                                   for line in render_failures(report.host, report.uri, report.problems)])
    return text


def command_status(arguments: argparse.Namespace) -> str:
    require_runtime("status")
    from gwlang.runtime.survey import status

    def run(program: Program) -> str:
        target = _target(arguments, program)
        rows, unread = status(target)
        if arguments.json:
            text = planfile.dumps(planfile.status_document(target.site, rows, unread)).rstrip("\n")
        else:
            text = render_status(rows).rstrip("\n")
        if unread:
            raise RuntimeFailed(text, [f"host `{host}` ({uri}): {reason}" for host, uri, reason in unread])
        return text
    return with_program(arguments, run)


def command_destroy(arguments: argparse.Namespace) -> str:
    require_runtime("destroy")
    from gwlang.runtime.apply import destroy_site
    from gwlang.runtime.survey import destroy_preview
    if not arguments.yes:
        _need_terminal("destroy")

    def run(program: Program) -> str:
        target = _target(arguments, program)
        if not arguments.yes:
            lines, _unread = destroy_preview(target, arguments.delete_storage)
            if any(line.startswith("  ") for line in lines):
                if not _ask("\n".join([f"site {target.site}:", *lines]), DESTROY_QUESTION):
                    raise RuntimeFailed("", ["destroy cancelled: only `yes` destroys; nothing was changed"])
                print()
        with Progress(sys.stderr) as progress:
            outcome = destroy_site(target, arguments.delete_storage, progress=progress.show)
        lines = [f"site {outcome.site}:"]
        for report in outcome.hosts:
            lines.append(f"host {report.host} ({report.uri}):" if report.done else
                         f"host {report.host} ({report.uri}): nothing to destroy")
            lines += render_steps(report.done)
        if not arguments.delete_storage:
            lines.append("volumes kept (`--delete-storage` deletes them)")
        return _finish(outcome, "\n".join(lines))
    return with_program(arguments, run)


def command_console(arguments: argparse.Namespace) -> str:
    require_runtime("console")
    from gwlang.runtime.console import run_console

    def run(program: Program) -> str:
        target = _target(arguments, program)
        node = target.node(arguments.node)
        if node is None:
            raise GwError(error("E0702", f"site `{target.site}` has no node `{arguments.node}`", None,
                                help=did_you_mean(arguments.node, target.nodes)).diagnostics)
        host = next(h for h in target.hosts if h.name == node.host)

        def opened() -> None:
            # Only once the stream is open: a console that cannot be reached is one error line, not a
            # "connected" followed by an error.
            print(f"connected to the console of {node.name} on host {host.name} ({host.uri}); Ctrl-] leaves",
                  file=sys.stderr)
        try:
            run_console(host.uri, node.name, opened=opened)
        except Exception as failure:
            from gwlang.runtime.backend import HostError
            if not isinstance(failure, HostError):
                raise
            raise RuntimeFailed("", [f"host `{host.name}` ({host.uri}), node `{node.name}`: {failure}"]) from None
        return ""
    return with_program(arguments, run)
