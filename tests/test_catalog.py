"""registry.yaml schema: every error names the file, line, entry and field."""

import pytest

from zoo_core.catalog import load_catalog_file, parse_catalog
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


def load(tmp_path, text):
    path = tmp_path / "registry.yaml"
    path.write_text(text)
    return load_catalog_file(path)


def test_good_catalog(tmp_path):
    entries = load(tmp_path, GOOD)
    e = entries["msp-digits"]
    assert e.pretrained and e.weights.files["model"].bytes == 10
    assert e.aliases == ("msp",) and e.line == 1
    again = parse_catalog({"msp-digits": e.to_dict()}, source=e.source)["msp-digits"]
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
    with pytest.raises(CatalogError) as info:
        load(tmp_path, bad)
    err = info.value
    assert err.line == line and err.field == field
    assert words in str(err) and f"registry.yaml:{line}" in str(err)


def test_duplicate_names_refused(tmp_path):
    with pytest.raises(CatalogError, match="duplicate key 'msp-digits'") as info:
        load(tmp_path, GOOD + GOOD)
    assert info.value.line == 12


def test_malformed_yaml(tmp_path):
    with pytest.raises(CatalogError, match="malformed YAML") as info:
        load(tmp_path, "a-b:\n  builder: [x:y\n")
    assert info.value.line is not None


def test_missing_builder(tmp_path):
    with pytest.raises(CatalogError, match="missing required field 'builder'"):
        load(tmp_path, "a-b:\n  task: x\n")


def test_not_a_mapping(tmp_path):
    with pytest.raises(CatalogError, match="mapping of model name"):
        load(tmp_path, "- a\n- b\n")


def test_plugin_may_only_contribute_its_own(tmp_path):
    with pytest.raises(CatalogError, match="only contribute its own"):
        parse_catalog({"a-b": {"builder": "m:f", "plugin": "zoo-other"}}, source="plugin p", plugin="zoo-p")
