"""The docs checks themselves: each catches what it is there to catch."""
from pathlib import Path

from tests.docs.cli import parse_errors
from tests.docs.markdown import anchors, code_spans, fenced_blocks, links
from tests.docs.shell import commands
from tests.docs.test_commands import makefile_targets, repository_path

PAGE = """# Title

Run `make fleet-up`, see [the runbooks](runbooks.md#a-deploy-failed).

```sh
make setup   # the venv
source build/fleet/env && .venv/bin/pipeline deploy fleet --plan > plan.txt
ANSIBLE_VAULT_PASSWORD_FILE=~/vault sudo python3 -m pipeline \\
    rollback fleet --to 3
```

```text
pipeline made-up --output
```

## Same heading
## Same heading
### `pipeline lock status|release`
"""


def write_page(tmp_path: Path) -> Path:
    page = tmp_path / "page.md"
    page.write_text(PAGE, encoding="utf-8")
    return page


def test_blocks_spans_links_and_anchors_are_found(tmp_path: Path) -> None:
    page = write_page(tmp_path)
    found = [(block.language, block.line) for block in fenced_blocks(page)]
    assert found == [("sh", 5), ("text", 12)]
    assert [span.text for span in code_spans(page)] == ["make fleet-up",
                                                        "pipeline lock status|release"]
    assert [link.text for link in links(page)] == ["runbooks.md#a-deploy-failed"]
    assert anchors(page) == {"title", "same-heading", "same-heading-1",
                             "pipeline-lock-statusrelease"}


def test_commands_drop_comments_prefixes_and_redirect_targets(tmp_path: Path) -> None:
    block = fenced_blocks(write_page(tmp_path))[0]
    found = commands(block.text)
    assert [command.words for command in found] == [
        ("make", "setup"),
        ("source", "build/fleet/env"),
        (".venv/bin/pipeline", "deploy", "fleet", "--plan"),
        ("python3", "-m", "pipeline", "rollback", "fleet", "--to", "3")]
    assert [command.line for command in found] == [1, 2, 2, 3]
    assert found[0].make_targets() == ("setup",)
    assert found[2].pipeline_args() == ("deploy", "fleet", "--plan")
    assert found[3].pipeline_args() == ("rollback", "fleet", "--to", "3")


def test_a_wrong_flag_command_or_argument_is_reported() -> None:
    errors = parse_errors([("deploy", "fleet", "--plan"), ("deploy", "fleet", "--plna"),
                           ("deplyo", "fleet"), ("restore",), ("rollback", "fleet", "--to", "x"),
                           ("deploy", "--help")])
    assert errors[0] == errors[5] == ""
    assert errors[1] == "pipeline: error: unrecognized arguments: --plna"
    assert "invalid choice: 'deplyo'" in errors[2]
    assert errors[3] == "pipeline restore: error: the following arguments are required: ENV"
    assert errors[4] == "pipeline rollback: error: argument --to: invalid int value: 'x'"


def test_make_targets_are_read_from_rules_only(tmp_path: Path) -> None:
    makefile = tmp_path / "Makefile"
    makefile.write_text(".PHONY: a b\nSTAMP := x\na b: ## two\n\tcmd: not-a-rule\n$(STAMP): a\n"
                        "c:: d\nD ::= e\n", encoding="utf-8")
    assert makefile_targets(makefile) == {"a", "b", "c"}


def test_only_paths_inside_the_repository_are_checked() -> None:
    top = {"ansible", "docs", "Makefile"}
    assert repository_path("ansible/deploy.yml", top) == "ansible/deploy.yml"
    assert repository_path("./docs/", top) == "docs"
    assert repository_path("build/fleet/env", top) == "build/fleet/env"
    assert repository_path("Makefile", top) == "Makefile"
    for other in ("/etc/docker/daemon.json", "~/.ssh/id_ed25519", "https://ansible/x",
                  "--plan", "deploy@10.0.2.10", "{{ stack_dir }}/backups", "upstream.d/x"):
        assert repository_path(other, top) is None, other
