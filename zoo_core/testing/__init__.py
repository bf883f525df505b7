"""Test support for the core and for plugins (a pytest plugin, auto-loaded with zoo-core).

Fixtures (from ``zoo_core.testing.fixtures``):

* ``hub_cache``: an empty Hugging Face cache in a temporary folder (HF_HUB_CACHE points at it).
* ``fake_hub``: a HubServer on loopback over a temporary Hub-layout folder, with HF_ENDPOINT
  pointing at it; ``fake_hub.publish(model, "org/repo")`` saves a model there and returns the
  catalog ``weights`` entry (pinned commit, sha256, bytes).
* ``fake_hub_api``: the same, and it takes pushes (``HfApi.create_repo`` + ``upload_folder``), so
  ``model.push_to_hub("org/repo")`` and ``zoo publish`` can be tested; ``server.write_token``
  makes it demand a token.
* ``zoo_registry``: swap in a registry built from in-process plugins and a registry.yaml.

Conformance kit for plugins (``zoo_core.testing.conformance``)::

    # plugins/akorn/tests/test_conformance.py
    from zoo_core.testing.conformance import conformance_suite
    TestConformance = conformance_suite("zoo-akorn")
"""

__all__ = ["conformance", "fixtures"]
