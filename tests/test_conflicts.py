"""Contested names: no plugin silently takes over another's model, alias, task or metric.

Every case runs in both entry-point orders (``order``), since the old rule let the plugin
whose entry-point name sorts first win.
"""

import json

import pytest

import zoo
from zoo_core.cli import main
from zoo_core.errors import UnknownModelError

from conftest import tiny_entry

ORDERS = pytest.mark.parametrize("order", [("aaa", "zzz"), ("zzz", "aaa")], ids=["one-first", "two-first"])


def plugin(models: dict, who: str) -> str:
    """A plugin module with a catalog, and a task, metric and recipe that say which plugin they are."""
    return f'''
from zoo_core import hookimpl

class Task:
    def evaluate(self, model, **settings):
        return {{"task_of": {who!r}}}

class Metric:
    who = {who!r}

def recipe(**kw):
    return {who!r}

@hookimpl
def zoo_catalog():
    return {models!r}

@hookimpl
def zoo_tasks():
    return {{"test/tiny": __name__ + ":Task"}}

@hookimpl
def zoo_metrics():
    return {{"test-metric": __name__ + ":Metric"}}

@hookimpl
def zoo_recipes():
    return {{"test-recipe": __name__ + ":recipe"}}

@hookimpl
def zoo_datasets():
    return {{"cifar10": "zoo_core.data:CIFAR10"}}  # one shared object: no conflict
'''


@pytest.fixture
def two(site, only_plugins):
    """Install zoo-one and zoo-two (entry points named by ``order``) and load only them."""
    def install(order, one_models, two_models, registry_yaml=None):
        site("zoo-one", plugin(one_models, "zoo-one"), entry=order[0])
        site("zoo-two", plugin(two_models, "zoo-two"), entry=order[1])
        return only_plugins("zoo-one", "zoo-two", registry_yaml=registry_yaml)
    return install


def warnings_of(dist):
    return " ".join(next(p for p in zoo.plugins() if p["distribution"] == dist)["warnings"])


@ORDERS
def test_name_claimed_by_two_plugins_is_refused_for_both(two, order, tmp_path):
    two(order, {"shared-test": tiny_entry(), "one-test": tiny_entry()},
        {"shared-test": tiny_entry(config={"width": 8}), "two-test": tiny_entry()})
    assert zoo.list_models() == ["one-test", "two-test"]
    for me, other in (("zoo-one", "zoo-two"), ("zoo-two", "zoo-one")):
        report = warnings_of(me)
        assert "'shared-test' refused" in report and other in report and f"{me}:shared-test" in report
    with pytest.raises(UnknownModelError, match="refused.*'zoo-one:shared-test', 'zoo-two:shared-test'"):
        zoo.create("shared-test")
    # either side, explicitly: distribution name, either spelling, or entry-point name
    assert zoo.create("zoo-one:shared-test").lin.in_features == 4
    assert zoo.create("zoo_two:shared-test").lin.in_features == 8
    assert zoo.create(f"{order[1]}:shared-test").lin.in_features == 8
    assert zoo.info("zoo-two:shared-test")["config"] == {"width": 8}
    model = zoo.load("zoo-two:shared-test", pretrained=False)
    model.save_pretrained(tmp_path / "saved")
    assert zoo.load(f"local-dir:{tmp_path / 'saved'}").lin.in_features == 8
    with pytest.raises(UnknownModelError, match="plugin 'zoo-one' provides no model 'two-test'"):
        zoo.create("zoo-one:two-test")


@ORDERS
def test_alias_claimed_by_two_plugins_drops_only_the_alias(two, order):
    two(order, {"one-test": tiny_entry(aliases=["tiny-test", "one-alias-test"])},
        {"two-test": tiny_entry(config={"width": 8}, aliases=["tiny-test"])})
    assert zoo.list_models() == ["one-test", "two-test"]  # both entries keep their names
    assert zoo.entry("one-test").aliases == ("one-alias-test",) and zoo.entry("two-test").aliases == ()
    assert zoo.create("one-alias-test").lin.in_features == 4
    for me, other in (("zoo-one", "zoo-two"), ("zoo-two", "zoo-one")):
        report = warnings_of(me)
        assert "alias 'tiny-test'" in report and "refused" in report and other in report
    with pytest.raises(UnknownModelError, match="refused.*'zoo-one:one-test', 'zoo-two:two-test'"):
        zoo.create("tiny-test")
    assert zoo.list_models("tiny-*") == []


@ORDERS
def test_alias_that_is_another_plugins_name_is_refused_for_both(two, order):
    two(order, {"one-test": tiny_entry(aliases=["two-test"])}, {"two-test": tiny_entry(config={"width": 8})})
    assert zoo.list_models() == ["one-test"]
    assert zoo.entry("one-test").aliases == ()
    assert zoo.create("zoo-two:two-test").lin.in_features == 8
    assert "alias 'two-test'" in warnings_of("zoo-one") and "'two-test' refused" in warnings_of("zoo-two")


@ORDERS
def test_task_metric_recipe_claimed_by_two_plugins(two, order, tmp_path):
    from zoo_core.eval import evaluate

    two(order, {"one-test": tiny_entry()}, {"two-test": tiny_entry(config={"width": 8})})
    for hook, name in (("zoo_tasks", "test/tiny"), ("zoo_metrics", "test-metric"),
                       ("zoo_recipes", "test-recipe")):
        with pytest.raises(UnknownModelError, match=f"refused.*'aaa:{name}', 'zzz:{name}'"):
            zoo.resolve_ref(hook, name)
        assert zoo.resolve_ref(hook, name, plugin="zoo-one").__module__ == "zoo_one"
        assert zoo.resolve_ref(hook, f"{order[1]}:{name}").__module__ == "zoo_two"
        for me, other in (("zoo-one", order[1]), ("zoo-two", order[0])):
            assert f"{name!r} is also provided by plugin {other}" in warnings_of(me)
    assert zoo.metric("test-metric", plugin="zoo-two").who == "zoo-two"
    # a model is evaluated with its own plugin's task, whichever entry point sorts first
    zoo.create("two-test").save_pretrained(tmp_path / "two")
    assert evaluate("two-test", weights=tmp_path / "two") == {"task_of": "zoo-two"}
    zoo.create("one-test").save_pretrained(tmp_path / "one")
    assert evaluate("one-test", weights=tmp_path / "one") == {"task_of": "zoo-one"}


@ORDERS
def test_the_same_reference_from_two_plugins_is_no_conflict(two, order):
    from zoo_core.data import CIFAR10

    two(order, {"one-test": tiny_entry()}, {"two-test": tiny_entry()})
    assert zoo.resolve_ref("zoo_datasets", "cifar10") is CIFAR10
    assert "cifar10" not in warnings_of("zoo-one") + warnings_of("zoo-two")


@ORDERS
def test_registry_names_are_reserved_for_first_party(two, order, tmp_path):
    registry = tmp_path / "registry.yaml"
    registry.write_text("shared-test:\n  plugin: zoo-one\n  builder: zoo_test_models:Tiny\n"
                        "  config: {width: 4}\n  aliases: [first-alias-test]\n")
    two(order, {}, {"shared-test": tiny_entry(config={"width": 8}),
                    "two-test": tiny_entry(aliases=["first-alias-test", "two-alias-test"])},
        registry_yaml=registry)
    assert zoo.list_models() == ["shared-test", "two-test"]
    assert zoo.create("shared-test").lin.in_features == 4  # the first-party entry keeps it
    assert zoo.create("first-alias-test").lin.in_features == 4
    assert zoo.entry("two-test").aliases == ("two-alias-test",)
    report = warnings_of("zoo-two")
    assert "'shared-test' refused: registry.yaml reserves it" in report
    assert "alias 'first-alias-test' of 'two-test' refused" in report
    assert "shared-test" not in warnings_of("zoo-one")
    assert next(p for p in zoo.plugins() if p["distribution"] == "zoo-one")["models"] == ["shared-test"]
    assert zoo.create("zoo-two:shared-test").lin.in_features == 8  # still reachable explicitly
    assert zoo.create("zoo-one:shared-test").lin.in_features == 4


def test_conflicts_reported_by_zoo_plugins(two, capsys):
    two(("aaa", "zzz"), {"shared-test": tiny_entry()}, {"shared-test": tiny_entry()})
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert out.count("warning: model name 'shared-test' refused") == 2
    assert out.count("warning: task 'test/tiny' is also provided") == 2
    assert "    metrics: test-metric" in out
    assert main(["plugins", "--json"]) == 0
    rows = {p["distribution"]: p for p in json.loads(capsys.readouterr().out)["plugins"]}
    for dist in ("zoo-one", "zoo-two"):
        assert rows[dist]["provides"] == {"tasks": ["test/tiny"], "metrics": ["test-metric"],
                                          "recipes": ["test-recipe"], "datasets": ["cifar10"]}
        assert any("shared-test" in w for w in rows[dist]["warnings"])
        assert len(rows[dist]["warnings"]) == 4  # the name, the task, the metric, the recipe: once each


def test_load_prefixes_are_not_plugin_qualifiers(two):
    two(("aaa", "zzz"), {"one-test": tiny_entry()}, {})
    with pytest.raises(UnknownModelError, match="unknown model 'local-dir:one-test'"):
        zoo.entry("local-dir:one-test")
    with pytest.raises(UnknownModelError, match="no plugin 'nope' provides models.*zoo-one"):
        zoo.entry("nope:one-test")


def test_alias_conflict_inside_registry_yaml_is_a_catalog_error(only_plugins, tmp_path):
    registry = tmp_path / "registry.yaml"
    registry.write_text("a-test:\n  builder: zoo_test_models:Tiny\n  aliases: [b-test, a2-test]\n"
                        "b-test:\n  builder: zoo_test_models:Tiny\n")
    only_plugins(registry_yaml=registry)
    assert zoo.list_models() == ["a-test"] and zoo.entry("a2-test").name == "a-test"
    errors = " ".join(zoo.catalog_errors())
    assert "entry 'a-test', field 'aliases': alias 'b-test'" in errors and "model name 'b-test' refused" in errors
