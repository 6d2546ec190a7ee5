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
from typing import TYPE_CHECKING, Any

from gwlang.commands.errors import CommandAborted, RuntimeFailed
from gwlang.commands.progress import Progress
from gwlang.commands.sites import add_sources, pick_site, with_program
from gwlang.diagnostics import GwError, did_you_mean, error
from gwlang.model.program import Program
from gwlang.pipeline import compile_site
from gwlang.runtime.plan import PlanOptions
from gwlang.runtime.render import name_list, render_host_plan, render_plan, render_status
from gwlang.runtime.target import SiteTarget, site_target

if TYPE_CHECKING:
    from gwlang.runtime.apply import Outcome

EPILOG = """\
examples:
  gwc plan sites/tcd.gw                         what apply would do on every host of the site
  gwc apply sites/tcd.gw                        do it: volumes, config disks, domains, starts
  gwc apply sites/tcd.gw --connect qemu:///system   every host of the site through one URI
  gwc status sites/tcd.gw                       each node's host, state and drift
  gwc console sites/tcd.gw ce                   the node's serial console (Ctrl-] leaves)
  gwc destroy sites/tcd.gw --delete-storage     stop, undefine, and delete the volumes too
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
        _add_hosts(parser)
    for parser in (plan, apply):
        parser.add_argument("--prune", action="store_true",
                            help="also remove this site's domains that the sources no longer have")
        parser.add_argument("--restart", action="store_true",
                            help="restart running guests whose definition changed")
    apply.add_argument("--break-lock", action="store_true",
                       help="remove another apply's lock first (only when that apply is known to be gone)")
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
    compiled = compile_site(program, pick_site(program, arguments.site))
    model = compiled.model
    for host in getattr(arguments, "host", []):
        if host not in model.hosts:
            raise GwError(error("E0701", f"site `{model.name}` has no host `{host}`", None,
                                help=did_you_mean(host, model.hosts),
                                notes=["hosts: " + ", ".join(f"`{h}`" for h in sorted(model.hosts))]).diagnostics)
    return site_target(compiled, arguments.connect, getattr(arguments, "host", []))


def _options(arguments: argparse.Namespace) -> PlanOptions:
    return PlanOptions(prune=arguments.prune, restart=arguments.restart)


def command_plan(arguments: argparse.Namespace) -> str:
    """The plan; exit 1 when a host it needed could not be read (the plan would be a guess there)."""
    require_runtime("plan")
    from gwlang.runtime.survey import plan

    def run(program: Program) -> str:
        found = plan(_target(arguments, program), _options(arguments))
        text = render_plan(found).rstrip("\n")
        unreadable = [f"host {host.host} ({host.uri}): cannot be reached: {host.unreachable}"
                      for host in found.hosts if host.unreachable is not None]
        unreadable += [f"host {e.host}: cannot read node `{e.node}` that a node waits for: {e.state}"
                       for e in found.elsewhere if not e.readable]
        if unreadable:
            raise RuntimeFailed(text, unreadable)
        return text
    return with_program(arguments, run)


def command_apply(arguments: argparse.Namespace) -> str:
    require_runtime("apply")
    from gwlang.runtime.apply import apply_site

    def run(program: Program) -> str:
        target = _target(arguments, program)
        with Progress(sys.stderr) as progress:
            outcome = apply_site(target, _options(arguments), arguments.break_lock, progress=progress.show)
        return _finish(outcome, _apply_text(outcome))
    return with_program(arguments, run)


def _apply_text(outcome: Outcome) -> str:
    lines = [f"site {outcome.site}:"]
    for report in outcome.hosts:
        if report.plan is not None:
            lines += render_host_plan(report.plan)
        elif not report.failures:
            lines.append(f"host {report.host} ({report.uri}): not reached")
        lines += [f"  note: {note}" for note in report.notes]
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
    return lines


def _finish(outcome: Outcome, text: str) -> str:
    if outcome.failed:
        raise RuntimeFailed(text, [failure for report in outcome.hosts for failure in report.failures])
    return text


def command_status(arguments: argparse.Namespace) -> str:
    require_runtime("status")
    from gwlang.runtime.survey import status

    def run(program: Program) -> str:
        rows, problems = status(_target(arguments, program))
        text = render_status(rows).rstrip("\n")
        if problems:
            raise RuntimeFailed(text, problems)
        return text
    return with_program(arguments, run)


def command_destroy(arguments: argparse.Namespace) -> str:
    require_runtime("destroy")
    from gwlang.runtime.apply import destroy_site

    def run(program: Program) -> str:
        target = _target(arguments, program)
        with Progress(sys.stderr) as progress:
            outcome = destroy_site(target, arguments.delete_storage, progress=progress.show)
        lines = [f"site {outcome.site}:"]
        for report in outcome.hosts:
            lines.append(f"host {report.host} ({report.uri}):" if report.done else
                         f"host {report.host} ({report.uri}): nothing to destroy")
            lines += [f"  - {done}" for done in report.done]
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
