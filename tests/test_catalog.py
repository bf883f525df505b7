"""registry.yaml: the schema, errors that name file, line, entry and field, one bad entry costing
only itself, the papers/families layout, write-back, and the catalog cache."""

import re
import shutil
import textwrap
from pathlib import Path

import pytest

import zoo
from zoo_core.cli import main
from zoo_core.errors import CatalogError

GOOD = """\
msp-digits:
  plugin: zoo-msp
  builder: zoo_msp.models:SeqAE
  config: {dim_m: 8}
  task: sequence-prediction/digits
  weights:
    repo: zoo-models/msp-digits
    revision: 0123456789abcdef0123456789abcdef01234567
    files:
      model: {file: model.safetensors, sha256: %s, bytes: 10}
  aliases: [msp]
""" % ("a" * 64)
REPO_REGISTRY = Path(__file__).resolve().parent.parent / "registry.yaml"


def load(tmp_path, text, name="registry.yaml"):
    from zoo_core.catalog_yaml import load_catalog_file

    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return load_catalog_file(path)


def only_error(tmp_path, text):
    """The one problem of a catalog whose only entry is malformed."""
    catalog = load(tmp_path, text)
    assert not catalog.entries and len(catalog.errors) == 1, catalog.errors
    return catalog.errors[0]


def test_good_catalog(tmp_path):
    from zoo_core.catalog import parse_catalog

    catalog = load(tmp_path, GOOD)
    e = catalog.entries["msp-digits"]
    assert not catalog.errors
    assert e.pretrained and e.weights.files["model"].bytes == 10
    assert e.aliases == ("msp",) and e.line == 1
    again = parse_catalog({"msp-digits": e.to_dict()}, source=e.source).entries["msp-digits"]
    assert again.to_dict() == e.to_dict()


@pytest.mark.parametrize("bad, line, field, words", [
    (GOOD.replace("a" * 64, "abc"), 10, "weights.files.model.sha256", "64"),
    (GOOD.replace("builder: zoo_msp.models:SeqAE", "builder: zoo_msp.models.SeqAE"), 3, "builder", "module:callable"),
    (GOOD.replace("  aliases:", "  alises:"), 11, "alises", "did you mean 'aliases'"),
    (GOOD.replace("bytes: 10", "bytes: -1"), 10, "weights.files.model.bytes", "positive"),
    (GOOD.replace("repo: zoo-models/msp-digits", "repo: nope"), 7, "weights.repo", "org/name"),
    (GOOD.replace("msp-digits:", "MSP_digits:"), 1, None, "lower case"),
    (GOOD.replace("file: model.safetensors", "file: model.pt"), 10, "weights.files.model.file", ".safetensors"),
])
def test_errors_are_located(tmp_path, bad, line, field, words):
    err = only_error(tmp_path, bad)
    assert err.line == line and err.field == field
    assert words in str(err) and f"registry.yaml:{line}" in str(err)


def test_duplicate_names_refused(tmp_path):
    catalog = load(tmp_path, GOOD + GOOD)
    (err,) = catalog.errors
    assert "duplicate key 'msp-digits', at lines 1 and 12" in str(err) and err.line == 12
    assert not catalog.entries and catalog.skipped["msp-digits"] is err  # neither copy is trusted


def test_malformed_yaml(tmp_path):
    err = only_error(tmp_path, "a-b:\n  builder: [x:y\n")
    assert "malformed YAML" in str(err) and err.line is not None and err.entry == "a-b"


def test_missing_builder(tmp_path):
    assert "missing required field 'builder'" in str(only_error(tmp_path, "a-b:\n  task: x\n"))


def test_not_a_mapping(tmp_path):
    assert "mapping of model name" in str(only_error(tmp_path, "- a\n- b\n"))


def test_plugin_may_only_contribute_its_own():
    from zoo_core.catalog import parse_catalog

    catalog = parse_catalog({"a-b": {"builder": "m:f", "plugin": "zoo-other"}}, source="plugin p",
                            plugin="zoo-p")
    assert "only contribute its own" in str(catalog.skipped["a-b"])


# --- one bad entry costs one entry -------------------------------------------------------

THREE = """\
# header comment
first-tiny-test:
  plugin: zoo-good
  builder: zoo_test_models:Tiny
  task: test/tiny

bad-tiny-test:
  plugin: zoo-good
  builder: zoo_test_models:Tiny
  aliases: [bad-alias-test]
  task: test/tiny

last-tiny-test:
  plugin: zoo-good
  builder: zoo_test_models:Tiny
  weights:
    repo: org/last
    revision: 0123456789abcdef0123456789abcdef01234567
    files:
      model: {file: model.safetensors, sha256: %s, bytes: 10}
""" % ("b" * 64)

BREAKAGES = {  # kind -> (edit of bad-tiny-test, line of the error, words that say why)
    # (its alias is known too where the entry could be read as YAML)
    "unknown field": (("  task: test/tiny\n\nlast", "  tsk: test/tiny\n\nlast"), 11, "did you mean 'task'"),
    "wrong type": (("aliases: [bad-alias-test]", "aliases: bad-alias-test"), 10, "list of strings"),
    "missing builder": (("  builder: zoo_test_models:Tiny\n  aliases", "  aliases"), 7, "missing required field 'builder'"),
    "syntax error": (("aliases: [bad-alias-test]", "aliases: [bad-alias-test"), 11, "malformed YAML"),
    "bad indentation": (("  task: test/tiny\n\nlast", "    task: test/tiny\n\nlast"), 11, "malformed YAML"),
    "duplicate field": (("  task: test/tiny\n\nlast", "  task: test/tiny\n  task: x\n\nlast"), 12, "duplicate key 'task'"),
}


@pytest.fixture
def three(site, only_plugins, tmp_path):
    """A registry.yaml of three entries whose middle one is broken in a given way."""
    from conftest import plugin_source

    site("zoo-good", plugin_source({}))

    def make(kind):
        (old, new), line, words = BREAKAGES[kind]
        assert old in THREE
        registry = tmp_path / "registry.yaml"
        registry.write_text(THREE.replace(old, new, 1))
        only_plugins("zoo-good", registry_yaml=registry)
        return registry, line, words
    return make


@pytest.mark.parametrize("kind", sorted(BREAKAGES))
def test_one_bad_entry_costs_one_entry(three, kind, capsys):
    registry, line, words = three(kind)
    assert zoo.list_models() == ["first-tiny-test", "last-tiny-test"]
    assert zoo.list_models(pretrained=True) == ["last-tiny-test"]
    assert main(["list"]) == 0
    captured = capsys.readouterr()
    assert "first-tiny-test" in captured.out and "last-tiny-test" in captured.out
    assert f"1 malformed catalog entry skipped: bad-tiny-test ({registry}:{line})" in captured.err
    readable = "YAML" not in words and "duplicate" not in words
    for name in ("bad-tiny-test", "bad-alias-test") if readable else ("bad-tiny-test",):
        assert main(["info", name]) == 1
        err = capsys.readouterr().err
        assert f"{registry}:{line}: entry 'bad-tiny-test'" in err and "malformed" in err and words in err
        assert "unknown model" not in err
    assert main(["info", "last-tiny-test"]) == 0


def test_real_registry_loses_only_the_broken_entry(only_plugins, tmp_path, capsys):
    """The issue's case: one broken entry used to hide all of registry.yaml (1 pretrained model, not 10)."""
    KEPT = "akorn-conv-tetrominoes-style"  # a published model the breakage must not touch
    intact = tmp_path / "intact.yaml"
    shutil.copy(REPO_REGISTRY, intact)
    only_plugins("zoo-msp", "zoo-sngan", "zoo-akorn", registry_yaml=intact)
    everything, pretrained = zoo.list_models(), zoo.list_models(pretrained=True)
    assert len(pretrained) >= 3 and KEPT in pretrained
    text = intact.read_text()
    victim = next(n for n in everything if n != KEPT and f"\n{n}:\n" in text)
    for breakage in ("  tsk: x\n", "  config: [unclosed\n", "  aliases: 7\n"):
        broken = tmp_path / "registry.yaml"
        broken.write_text(text.replace(f"\n{victim}:\n", f"\n{victim}:\n{breakage}", 1))
        only_plugins("zoo-msp", "zoo-sngan", "zoo-akorn", registry_yaml=broken)
        assert zoo.list_models() == [n for n in everything if n != victim], breakage
        assert zoo.list_models(pretrained=True) == [n for n in pretrained if n != victim]
        assert zoo.info(KEPT)["weights"]["files"]["model"]["sha256"]
        with pytest.raises(CatalogError, match="malformed"):
            zoo.info(victim)


def test_syntax_error_in_a_shared_section_costs_its_members_only(site, only_plugins, tmp_path, capsys):
    from conftest import plugin_source

    site("zoo-good", plugin_source({}))
    registry = tmp_path / "registry.yaml"
    registry.write_text(textwrap.dedent("""\
        papers:
          arXiv:1111.11111:
            license: MIT
          arXiv:2222.22222:
            license: [unclosed
        families:
          broken:
            builder: zoo_test_models:Tiny
            config: {width: 4
          fine:
            plugin: zoo-good
            builder: zoo_test_models:Tiny
        a-test:
          family: broken
        b-test:
          family: fine
          provenance: {paper: arXiv:1111.11111}
        c-test:
          family: fine
          provenance: {paper: arXiv:2222.22222}
        d-test:
          family: missing
        """))
    only_plugins("zoo-good", registry_yaml=registry)
    assert zoo.list_models() == ["b-test"]
    assert zoo.info("b-test")["license"] == "MIT"
    with pytest.raises(CatalogError, match=r"registry.yaml:14: entry 'a-test', field 'family': .*family 'broken' is malformed"):
        zoo.info("a-test")
    with pytest.raises(CatalogError, match="paper 'arXiv:2222.22222' is malformed"):
        zoo.info("c-test")
    with pytest.raises(CatalogError, match="no family 'missing'"):
        zoo.info("d-test")
    assert main(["list"]) == 0
    err = capsys.readouterr().err
    assert "3 malformed catalog entries skipped" in err
    assert "field 'families.broken'" in err and "field 'papers.arXiv:2222.22222'" in err  # said once each


# --- the layout: papers and families -------------------------------------------------------

LAYOUT = """\
papers:
  arXiv:1234.56789:
    code: https://example.org/code
    license: MIT
    citation: |
      @article{x, title={X}}
families:
  tiny:
    plugin: zoo-good
    builder: zoo_test_models:Tiny
    config: {width: 4, bias: true}
    provenance: {paper: arXiv:1234.56789}
    train: {recipe: r, steps: 10}

# the plain one
tiny-test:
  family: tiny
  task: test/tiny
  results:
    acc: 0.5

tiny-wide-test:
  family: tiny
  config: {width: 8}
  provenance: {code: https://example.org/fork, data: here}
  train: {steps: 20}
  aliases: [wide-test]
"""


def test_entries_inherit_family_and_paper(tmp_path):
    catalog = load(tmp_path, LAYOUT)
    assert not catalog.errors
    plain, wide = catalog.entries["tiny-test"], catalog.entries["tiny-wide-test"]
    assert plain.plugin == "zoo-good" and plain.builder == "zoo_test_models:Tiny"
    assert plain.config == {"width": 4, "bias": True} and wide.config == {"width": 8, "bias": True}
    assert plain.train == {"recipe": "r", "steps": 10} and wide.train == {"recipe": "r", "steps": 20}
    assert plain.provenance == {"paper": "arXiv:1234.56789", "code": "https://example.org/code",
                                "license": "MIT", "citation": "@article{x, title={X}}\n"}
    assert wide.provenance["code"] == "https://example.org/fork" and wide.provenance["license"] == "MIT"
    assert wide.provenance["data"] == "here" and plain.line == 16 and wide.line == 22


def test_info_shows_the_merged_entry(site, only_plugins, tmp_path):
    from conftest import plugin_source

    site("zoo-good", plugin_source({}))
    registry = tmp_path / "registry.yaml"
    registry.write_text(LAYOUT)
    only_plugins("zoo-good", registry_yaml=registry)
    info = zoo.info("wide-test")
    assert info["config"] == {"width": 8, "bias": True} and info["license"] == "MIT"
    assert info["citation"] == "@article{x, title={X}}\n" and info["source"] == f"{registry}:22"
    assert "family" not in info and zoo.cite("tiny-test") == "@article{x, title={X}}\n"


def test_inherited_value_error_points_at_the_family(tmp_path):
    catalog = load(tmp_path, LAYOUT.replace("config: {width: 4, bias: true}", "config: [4]"))
    assert set(catalog.skipped) == {"tiny-test"}
    err = catalog.skipped["tiny-test"]  # tiny-wide-test replaces the list with its own mapping
    assert "tiny-wide-test" in catalog.entries and err.line == 11 and err.field == "config" and "expected a mapping" in str(err)


@pytest.mark.parametrize("edit, words", [
    (("    train: {recipe: r, steps: 10}", "    weights: {}"), "shared fields only"),
    (("    license: MIT", "    paper: arXiv:1"), "do not repeat 'paper'"),
])
def test_shared_sections_are_checked(tmp_path, edit, words):
    catalog = load(tmp_path, LAYOUT.replace(*edit))
    assert any(words in str(e) for e in catalog.errors), catalog.errors
    assert "tiny-test" in catalog.skipped


def test_write_back_edits_the_entry_in_place(tmp_path):
    from zoo_core.catalog_edit import set_field
    from zoo_core.catalog_yaml import load_catalog_file

    path = tmp_path / "registry.yaml"
    path.write_text(LAYOUT)
    set_field(path, "tiny-test", "results", {"acc": 0.75, "loss": 1.5})
    set_field(path, "tiny-wide-test", "weights", {
        "repo": "org/wide", "revision": "0" * 40,
        "files": {"model": {"file": "model.safetensors", "sha256": "c" * 64, "bytes": 7}}})
    after = path.read_text()
    expected = LAYOUT.replace("  results:\n    acc: 0.5\n", "  results:\n    acc: 0.75\n    loss: 1.5\n")
    expected = expected.replace("  aliases: [wide-test]\n", "  aliases: [wide-test]\n  weights:\n    repo: org/wide\n"
                                f"    revision: '{'0' * 40}'\n    files:\n      model:\n"
                                f"        file: model.safetensors\n        sha256: {'c' * 64}\n        bytes: 7\n")
    assert after == expected  # every other line as it was: papers, families, comments
    catalog = load_catalog_file(path)
    assert catalog.entries["tiny-test"].results == {"acc": 0.75, "loss": 1.5}
    assert catalog.entries["tiny-test"].config == {"width": 4, "bias": True}
    assert catalog.entries["tiny-wide-test"].weights.files["model"].bytes == 7


def test_write_back_keeps_a_following_section_comment_after_the_entry(tmp_path):
    from zoo_core.catalog_edit import set_field
    from zoo_core.catalog_yaml import load_catalog_file

    path = tmp_path / "registry.yaml"
    text = LAYOUT.rstrip("\n") + "\n\n# --- the next section ---\n# about it\n\nlast-test:\n  task: classification/toy\n"
    path.write_text(text)
    set_field(path, "tiny-wide-test", "results", {"acc": 0.25})
    after = path.read_text()
    assert after.index("  results:\n    acc: 0.25\n") < after.index("# --- the next section ---")
    assert after.count("# --- the next section ---\n# about it\n\nlast-test:") == 1
    assert load_catalog_file(path).entries["tiny-wide-test"].results == {"acc": 0.25}


def test_write_back_refuses_to_break_the_entry_but_ignores_others(tmp_path):
    from zoo_core.catalog_edit import set_field

    path = tmp_path / "registry.yaml"
    path.write_text(LAYOUT + "\nbroken-test:\n  tsk: x\n")
    set_field(path, "tiny-test", "results", {"acc": 1.0})  # another entry's problem is not ours
    before = path.read_text()
    with pytest.raises(CatalogError, match="writing results would break the catalog: results must be numbers"):
        set_field(path, "tiny-test", "results", {"acc": True})
    assert path.read_text() == before


def test_repo_registry_uses_the_layout_and_is_valid(tmp_path):
    from zoo_core.catalog_yaml import load_catalog_file

    catalog = load_catalog_file(REPO_REGISTRY)
    assert not catalog.errors, catalog.errors
    text = REPO_REGISTRY.read_text()
    for paper, fields in catalog.papers.items():
        if "citation" in fields:
            bibtex_key = re.match(r"@\w+\{([^,]+),", fields["citation"]).group(1)
            assert text.count(bibtex_key) == 1, paper  # written once
    assert all(e.provenance.get("license") and e.provenance.get("citation") for e in catalog.entries.values())


# --- the cache ------------------------------------------------------------------------

def test_cached_catalog_equals_parsed_and_follows_edits(tmp_path, catalog_cache, monkeypatch):
    from zoo_core.catalog_yaml import load_catalog_file

    text = LAYOUT + "\nbroken-test:\n  tsk: x\n  aliases: [broken-alias-test]\n"
    path = tmp_path / "registry.yaml"
    path.write_text(text)
    first = load_catalog_file(path)
    assert len(list(catalog_cache.glob("*.json"))) == 1
    second = load_catalog_file(path)
    monkeypatch.setenv("ZOO_CATALOG_CACHE", "")
    fresh = load_catalog_file(path)
    for catalog in (second, fresh):
        assert catalog.entries == first.entries
        assert [str(e) for e in catalog.errors] == [str(e) for e in first.errors]
        assert {k: str(v) for k, v in catalog.skipped.items()} == {k: str(v) for k, v in first.skipped.items()}
    assert list(first.entries["tiny-test"].provenance) == ["paper", "code", "license", "citation"]
    assert list(second.entries["tiny-test"].provenance) == ["paper", "code", "license", "citation"]
    monkeypatch.setenv("ZOO_CATALOG_CACHE", str(catalog_cache))
    path.write_text(text.replace("acc: 0.5", "acc: 0.25"))
    assert load_catalog_file(path).entries["tiny-test"].results == {"acc": 0.25}


def test_no_cache_when_json_cannot_hold_the_values(tmp_path, catalog_cache):
    catalog = load(tmp_path, "dated-test:\n  builder: m:f\n  provenance: {date: 2024-01-02}\n")
    assert str(catalog.entries["dated-test"].provenance["date"]) == "2024-01-02"
    assert not list(catalog_cache.glob("*.json"))


def test_unwritable_cache_is_skipped(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("ZOO_CATALOG_CACHE", str(blocker / "cache"))
    assert "msp-digits" in load(tmp_path, GOOD).entries
