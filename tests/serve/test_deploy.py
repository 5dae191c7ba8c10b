"""The Serve config file: Serve's own schema accepts it, its builder builds, bad files say why."""

import textwrap

import pytest
from ray.serve.deployment import Application

from optix.config import ConfigError, load_settings
from serve.app import build_app
from serve.deploy import (
    DEFAULT_SERVE_CONFIG,
    ServeConfigError,
    deployment_options,
    load_serve_config,
)


def test_the_shipped_config_is_a_serve_build_config_with_autoscaling_per_deployment():
    cfg = load_serve_config()
    (app,) = cfg.applications
    assert app.import_path == "serve.app:app_builder" and app.route_prefix == "/"
    opts = deployment_options(cfg)
    assert set(opts) == {"ingress", "pricing", "gex"}
    for name in opts:
        auto = opts[name]["autoscaling_config"]
        assert 1 <= auto["min_replicas"] <= auto["max_replicas"]
        assert opts[name]["max_ongoing_requests"] >= auto["target_ongoing_requests"]


def test_the_import_path_builds_the_app_from_settings_and_args(monkeypatch, tmp_path):
    from ray._common.utils import import_attr

    monkeypatch.chdir(tmp_path)
    builder = import_attr(load_serve_config().applications[0].import_path)
    app = builder({"database": {"url": f"sqlite:///{tmp_path}/x.db"}})
    assert isinstance(app, Application)
    with pytest.raises(ConfigError, match="feed"):
        builder({"feed": {"symbols": -1}})


def test_build_app_applies_options_and_refuses_unknown_deployments(tmp_path):
    settings = load_settings(database={"url": f"sqlite:///{tmp_path}/x.db"})
    app = build_app(settings, {"pricing": {"num_replicas": 3, "max_ongoing_requests": 7}})
    pricing = app._bound_deployment.init_args[1]._bound_deployment
    assert pricing.num_replicas == 3 and pricing.max_ongoing_requests == 7
    with pytest.raises(ValueError, match="no deployments"):
        build_app(settings, {"pricer": {}})


@pytest.mark.parametrize(("text", "match"), [
    ("applications: [", "not YAML"),
    ("applications:\n  - name: optix\n    import_path: serve.app:app_builder\n"
     "    deployments:\n      - name: pricing\n        num_replicas: -2\n", "num_replicas"),
    ("proxy_location: Nowhere\napplications: []\n", "proxy_location"),
])
def test_bad_config_files_name_the_file_and_field(tmp_path, text, match):
    p = tmp_path / "serve.yaml"
    p.write_text(text)
    with pytest.raises(ServeConfigError, match=match) as err:
        load_serve_config(p)
    assert str(p) in str(err.value)


def test_missing_file_and_application_choice(tmp_path):
    with pytest.raises(ServeConfigError, match="No such file"):
        load_serve_config(tmp_path / "none.yaml")
    two = tmp_path / "two.yaml"
    two.write_text(textwrap.dedent("""\
        applications:
          - {name: a, route_prefix: /a, import_path: serve.app:app_builder}
          - {name: b, route_prefix: /b, import_path: serve.app:app_builder}
        """))
    cfg = load_serve_config(two)
    with pytest.raises(ServeConfigError, match="2 applications"):
        deployment_options(cfg)
    assert deployment_options(cfg, "b") == {}
    with pytest.raises(ServeConfigError, match="no application 'c'"):
        deployment_options(cfg, "c")
    assert DEFAULT_SERVE_CONFIG.name == "config.yaml"


def test_a_field_optix_up_cannot_apply_is_refused_not_dropped(tmp_path):
    p = tmp_path / "serve.yaml"
    p.write_text("applications:\n  - name: optix\n    import_path: serve.app:app_builder\n"
                 "    deployments:\n      - {name: pricing, rolling_update_percentage: 50}\n")
    with pytest.raises(ServeConfigError, match="rolling_update_percentage"):
        deployment_options(load_serve_config(p))
