"""Modules and imports, on small trees of files under `tmp_path`.

Every test runs from `tmp_path` (`monkeypatch.chdir`), so paths in
diagnostics are relative and the snapshots are stable.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import gwc_eval
from syrupy.assertion import SnapshotAssertion

from gwlang.eval.evaluator import run_deep
from gwlang.session import Session


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder as the working directory, with no GWPATH and an empty stdlib."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GWPATH", raising=False)
    (tmp_path / "stdlib").mkdir()
    monkeypatch.setenv("GWLANG_STDLIB", str(tmp_path / "stdlib"))
    return tmp_path


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


# ---------------------------------------------------------------- finding modules


def test_relative_import_joins_the_scope(tree: Path) -> None:
    write(tree, {"main.gw": 'import "./lib/roles.gw";\nlet role = ce-role;\n',
                 "lib/roles.gw": 'let ce-role = "ce";\nlet se-role = "se";\n'})
    # An open import's names are in scope but are not the importing module's own.
    assert gwc_eval(Path("main.gw")) == '{ role = "ce"; }'
    assert gwc_eval(Path("main.gw"), "[ ce-role se-role ]") == '[ "ce" "se" ]'


def test_relative_import_is_relative_to_the_importing_file(tree: Path) -> None:
    write(tree, {"main.gw": 'import "./lib/a.gw";\nlet x = a;\n',
                 "lib/a.gw": 'import "./b.gw" as b;\nimport "../shared/c.gw";\nlet a = b.value + c;\n',
                 "lib/b.gw": "{ value = 1; }\n",
                 "shared/c.gw": "let c = 10;\n"})
    assert gwc_eval(Path("main.gw")) == "{ x = 11; }"


def test_qualified_import(tree: Path) -> None:
    write(tree, {"main.gw": 'import "./util.gw" as util;\nimport "./net.gw" as addressing;\n'
                            "let answer = util.double 21;\nlet gateway = addressing.gateway;\n",
                 "util.gw": "{ double = x: x * 2; }\n",
                 "net.gw": "let subnet = 10.0.0.0/24;\nlet gateway = hostIn subnet 1;\n"})
    assert gwc_eval(Path("main.gw")) == "{ answer = 42; gateway = 10.0.0.1; }"
    assert gwc_eval(Path("main.gw"), "addressing.subnet.prefix") == "24"


def test_import_expression(tree: Path) -> None:
    write(tree, {"main.gw": "(import <grid/sizes.gw>).ce + (import <grid/more.gw>).extra\n",
                 "inc/grid/sizes.gw": "{ ce = 1GiB; }\n",
                 "inc/grid/more.gw": "let extra = 512MiB;\n"})
    assert gwc_eval(Path("main.gw"), include=["inc"]) == "1536MiB"


def test_relative_import_expression(tree: Path) -> None:
    write(tree, {"main.gw": '(import "./lib/sizes.gw").ce\n',
                 "lib/sizes.gw": "{ ce = 1GiB; }\n",
                 "sites/main.gw": "let x = 1;\n", "sites/extra.gw": "{ y = 2; }\n",
                 "a.gw": 'import "./b.gw";\nlet a = 1;\n', "b.gw": 'let b = (import "./a.gw").a;\n'})
    assert gwc_eval(Path("main.gw")) == "1GiB"
    # In `-E`, relative to the module's folder, not the working directory.
    assert gwc_eval(Path("sites/main.gw"), 'x + (import "./extra.gw").y') == "3"
    # An import inside an expression is found before evaluation, so it takes part in cycles.
    assert "the cycle: a.gw -> b.gw -> a.gw" in gwc_eval(Path("a.gw"))


def test_search_path_from_include_option(tree: Path) -> None:
    write(tree, {"main.gw": "import <grid/base.gw>;\nlet x = base-value;\n",
                 "inc/grid/base.gw": "let base-value = 21;\n"})
    assert gwc_eval(Path("main.gw"), include=["inc"]) == "{ x = 21; }"


def test_search_path_from_gwpath(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tree, {"main.gw": "import <grid/base.gw>;\nlet x = base-value;\n",
                 "first/empty.gw": "1\n",
                 "second/grid/base.gw": "let base-value = 22;\n"})
    monkeypatch.setenv("GWPATH", os.pathsep.join([str(tree / "first"), str(tree / "second")]))
    assert gwc_eval(Path("main.gw")) == "{ x = 22; }"


def test_stdlib_root(tree: Path) -> None:
    write(tree, {"main.gw": "import <grid/base.gw>;\nlet x = base-value;\n",
                 "stdlib/grid/base.gw": "let base-value = 23;\n"})
    assert gwc_eval(Path("main.gw")) == "{ x = 23; }"


def test_search_order_is_include_then_gwpath_then_stdlib(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tree, {"main.gw": "import <where.gw>;\nlet x = where;\n",
                 "inc/where.gw": 'let where = "-I";\n',
                 "gwpath/where.gw": 'let where = "GWPATH";\n',
                 "stdlib/where.gw": 'let where = "stdlib";\n'})
    assert gwc_eval(Path("main.gw")) == '{ x = "stdlib"; }'
    monkeypatch.setenv("GWPATH", str(tree / "gwpath"))
    assert gwc_eval(Path("main.gw")) == '{ x = "GWPATH"; }'
    assert gwc_eval(Path("main.gw"), include=["inc"]) == '{ x = "-I"; }'


def test_search_root_files_import_relatively_within_their_root(tree: Path) -> None:
    write(tree, {"main.gw": "import <grid/base.gw>;\nlet x = total;\n",
                 "inc/grid/base.gw": 'import "./parts.gw";\nimport "../common.gw";\nlet total = part + common;\n',
                 "inc/grid/parts.gw": "let part = 1;\n",
                 "inc/common.gw": "let common = 2;\n"})
    assert gwc_eval(Path("main.gw"), include=["inc"]) == "{ x = 3; }"


# ---------------------------------------------------------------- what a module is


def test_items_module_value_is_its_own_bindings_and_declarations(tree: Path) -> None:
    write(tree, {"main.gw": 'import "./other.gw";\nimport "./other.gw" as qualified;\n'
                            "let a = 1;\nlet b = a + 1;\nprofile base { os.family = \"redhat\"; }\n",
                 "other.gw": "let imported = 0;\n"})
    assert gwc_eval(Path("main.gw")) == "{ a = 1; b = 2; base = «profile base»; }"
    assert gwc_eval(Path("main.gw"), as_json=True) == (
        '{\n  "a": 1,\n  "b": 2,\n  "base": {\n    "declaration": "profile",\n    "name": "base"\n  }\n}')


def test_module_level_bindings_are_lazy_and_recursive(tree: Path) -> None:
    write(tree, {"main.gw": 'let b = a + 1;\nlet a = 1;\nlet unused = throw "never evaluated";\n'})
    assert gwc_eval(Path("main.gw"), "b") == "2"


def test_expression_in_an_items_module_sees_its_scope(tree: Path) -> None:
    write(tree, {"main.gw": 'import "./open.gw";\nimport "./named.gw" as named;\nlet own = 1;\n',
                 "open.gw": "let opened = 2;\n",
                 "named.gw": "{ value = 3; }\n"})
    assert gwc_eval(Path("main.gw"), "own + opened + named.value") == "6"


def test_expression_in_an_expression_module_sees_its_attributes(tree: Path, snapshot: SnapshotAssertion) -> None:
    write(tree, {"main.gw": "let hidden = 1; in { shown = hidden + 1; other = 3; }\n",
                 "number.gw": "42\n"})
    assert gwc_eval(Path("main.gw"), "shown + other") == "5"
    # The `let` inside the expression is not a module scope.
    assert gwc_eval(Path("main.gw"), "hidden") == snapshot
    # A module whose value is not a set adds no names: only builtins are in scope.
    assert gwc_eval(Path("number.gw"), "length [ 1 ]") == "1"


def test_own_names_shadow_open_imports(tree: Path) -> None:
    write(tree, {"main.gw": 'import "./lib.gw";\nlet memory = 2GiB;\nlet seen = memory;\n',
                 "lib.gw": "let memory = 1GiB;\n"})
    assert gwc_eval(Path("main.gw")) == "{ memory = 2GiB; seen = 2GiB; }"


def test_importing_one_module_twice_is_not_ambiguous(tree: Path) -> None:
    write(tree, {"main.gw": 'import "./lib.gw";\nimport "./sub/../lib.gw";\nlet x = value;\n',
                 "lib.gw": "let value = 1;\n", "sub/keep.gw": "1\n"})
    assert gwc_eval(Path("main.gw")) == "{ x = 1; }"


def test_each_module_is_evaluated_once_per_run(tree: Path) -> None:
    # Two paths to one file give the very same function: one evaluation, one value.
    write(tree, {"main.gw": 'import "./a.gw" as a;\nimport "./b/b.gw" as b;\nimport "./f.gw" as direct;\n'
                            "let f = direct.f;\n",
                 "a.gw": 'import "./f.gw" as lib;\nlet f = lib.f;\n',
                 "b/b.gw": 'import "../f.gw";\nlet f = f-from-lib;\n',
                 "f.gw": "let f = x: x;\nlet f-from-lib = f;\n"})
    assert gwc_eval(Path("main.gw"), "[ (a.f == b.f) (f == a.f) ]") == "[ true true ]"

    def loaded() -> int:
        session = Session()
        module = session.load(Path("main.gw"))
        session.print_value(session.value_of(module, "f"), as_json=False)
        return len(session.loader.modules)

    assert run_deep(loaded) == 4


# ---------------------------------------------------------------- confinement


def test_relative_import_may_not_leave_its_root(tree: Path, snapshot: SnapshotAssertion,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    write(tree, {"project/main.gw": 'import "../outside.gw";\n', "outside.gw": "let secret = 1;\n"})
    monkeypatch.chdir(tree / "project")
    assert gwc_eval(Path("main.gw")) == snapshot


def test_symlink_may_not_lead_out_of_the_root(tree: Path, snapshot: SnapshotAssertion,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    write(tree, {"project/main.gw": 'import "./lib/link.gw";\n', "outside.gw": "let secret = 1;\n"})
    (tree / "project" / "lib").mkdir()
    (tree / "project" / "lib" / "link.gw").symlink_to(tree / "outside.gw")
    monkeypatch.chdir(tree / "project")
    assert gwc_eval(Path("main.gw")) == snapshot


def test_symlink_inside_the_root_is_followed(tree: Path) -> None:
    write(tree, {"main.gw": 'import "./link.gw";\nlet x = value;\n', "real/lib.gw": "let value = 1;\n"})
    (tree / "link.gw").symlink_to(tree / "real" / "lib.gw")
    assert gwc_eval(Path("main.gw")) == "{ x = 1; }"


def test_a_file_outside_the_project_is_the_root_of_its_own_folder(tree: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    write(tree, {"elsewhere/main.gw": 'import "./x.gw";\nlet y = x;\n', "elsewhere/x.gw": "let x = 1;\n",
                 "elsewhere/up.gw": 'import "../secret.gw";\n', "secret.gw": "let s = 1;\n",
                 "project/keep.gw": "1\n"})
    monkeypatch.chdir(tree / "project")
    assert gwc_eval(tree / "elsewhere" / "main.gw") == "{ y = 1; }"
    assert gwc_eval(tree / "elsewhere" / "up.gw").startswith("error[E0221]: `../secret.gw` leads outside")


def test_search_import_may_not_leave_its_root(tree: Path, snapshot: SnapshotAssertion) -> None:
    write(tree, {"main.gw": "import <../x.gw>;\n", "inc/keep.gw": "1\n", "x.gw": "let secret = 1;\n"})
    assert gwc_eval(Path("main.gw"), include=["inc"]) == snapshot


def test_relative_import_needs_a_dot(tree: Path, snapshot: SnapshotAssertion) -> None:
    write(tree, {"main.gw": 'import "lib.gw";\n', "lib.gw": "let x = 1;\n"})
    assert gwc_eval(Path("main.gw")) == snapshot


# ---------------------------------------------------------------- errors


def test_import_cycle_shows_every_step(tree: Path, snapshot: SnapshotAssertion) -> None:
    write(tree, {"a.gw": 'import "./b.gw";\nlet a = 1;\n',
                 "b.gw": 'import "./c.gw";\nlet b = 1;\n',
                 "c.gw": 'import "./a.gw" as a;\nlet c = a.a;\n'})
    output = gwc_eval(Path("a.gw"))
    assert "the cycle: a.gw -> b.gw -> c.gw -> a.gw" in output
    assert output == snapshot


def test_module_importing_itself(tree: Path, snapshot: SnapshotAssertion) -> None:
    write(tree, {"self.gw": 'import "./self.gw" as me;\nlet a = 1;\n'})
    assert gwc_eval(Path("self.gw")) == snapshot


def test_missing_file_suggests_a_sibling(tree: Path, snapshot: SnapshotAssertion) -> None:
    write(tree, {"main.gw": 'import "./lib/rols.gw";\nimport <grid/bse.gw>;\n',
                 "lib/roles.gw": "let x = 1;\n", "inc/grid/base.gw": "let y = 1;\n"})
    # Both failing imports are reported in one run.
    assert gwc_eval(Path("main.gw"), include=["inc"]) == snapshot


def test_search_note_names_the_real_stdlib_folder(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `<stdlib>` alone hid where an installed gwc looked; the note shows the folder, and says when it is missing.
    write(tree, {"main.gw": "import <grid/roles.gw>;\n"})
    assert "= note: searched `stdlib` (the stdlib)\n" in gwc_eval(Path("main.gw"))
    monkeypatch.setenv("GWLANG_STDLIB", str(tree / "gone"))
    output = gwc_eval(Path("main.gw"))
    assert "= note: searched `gone` (the stdlib)\n" in output
    assert "= note: the stdlib folder `gone` does not exist: this gwlang installation is incomplete" in output


def test_duplicate_declarations(tree: Path, snapshot: SnapshotAssertion) -> None:
    write(tree, {"let-twice.gw": "let memory = 1GiB;\nlet memory = 2GiB;\n",
                 "alias-and-let.gw": 'import "./lib.gw" as lib;\nlet lib = 1;\n',
                 "let-and-profile.gw": "let base = 1;\nprofile base { os.family = \"redhat\"; }\n",
                 "lib.gw": "let x = 1;\n"})
    outputs = [gwc_eval(Path(name)) for name in ("let-twice.gw", "alias-and-let.gw", "let-and-profile.gw")]
    assert all(output.startswith("error[E0223]") for output in outputs)
    assert "\n\n".join(outputs) == snapshot


def test_same_name_from_two_open_imports(tree: Path, snapshot: SnapshotAssertion) -> None:
    write(tree, {"main.gw": 'import "./one.gw";\nimport "./two.gw";\nlet x = memory;\n',
                 "one.gw": "let memory = 1GiB;\n", "two.gw": "let memory = 2GiB;\n"})
    assert gwc_eval(Path("main.gw")) == snapshot


def test_open_import_of_a_non_set(tree: Path, snapshot: SnapshotAssertion) -> None:
    write(tree, {"main.gw": 'import "./number.gw";\n', "number.gw": "42\n"})
    assert gwc_eval(Path("main.gw")) == snapshot


def test_errors_in_an_imported_module_point_into_it(tree: Path, snapshot: SnapshotAssertion) -> None:
    write(tree, {"main.gw": 'import "./lib/broken.gw" as broken;\nlet x = broken.value;\n',
                 "lib/broken.gw": "{ value = 1 + \"one\"; }\n",
                 "syntax.gw": 'import "./lib/bad-syntax.gw";\n',
                 "lib/bad-syntax.gw": "let x = [ 1, 2 ];\n"})
    assert gwc_eval(Path("main.gw")) + "\n\n" + gwc_eval(Path("syntax.gw")) == snapshot


# ---------------------------------------------------------------- names checked before evaluation


def test_names_of_an_open_import_are_known_to_the_static_check(tree: Path) -> None:
    write(tree, {"main.gw": 'import "./lib/roles.gw";\nlet role = x: if x then ce-role else se-role;\n'
                            "let answer = 1;\n",
                 "lib/roles.gw": 'let ce-role = "ce";\nlet se-role = "se";\n'})
    # `role` is never called: its names resolve through the open import, so nothing is reported.
    assert gwc_eval(Path("main.gw"), "answer") == "1"


def test_undefined_name_in_an_uncalled_function_suggests_imported_names(tree: Path,
                                                                        snapshot: SnapshotAssertion) -> None:
    write(tree, {"main.gw": 'import "./lib/roles.gw";\nlet role = x: ce-rol;\nlet answer = 1;\n',
                 "lib/roles.gw": 'let ce-role = "ce";\n'})
    output = gwc_eval(Path("main.gw"), "answer")
    assert output.startswith("error[E0201]: undefined variable `ce-rol`\n --> main.gw:2:15")
    assert "did you mean `ce-role`" in output
    assert output == snapshot


def test_undefined_name_in_an_imported_module_points_into_it(tree: Path) -> None:
    write(tree, {"main.gw": 'import "./lib/roles.gw" as roles;\nlet answer = roles.ce;\n',
                 "lib/roles.gw": 'let ce = "ce";\nlet unused = x: missing;\n'})
    assert gwc_eval(Path("main.gw")).startswith("error[E0201]: undefined variable `missing`\n"
                                                " --> lib/roles.gw:2:17")
