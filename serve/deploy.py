"""The Serve deployment config (``serve/config.yaml``, the ``serve build`` format).

An operator runs ``serve deploy serve/config.yaml`` on a cluster; ``optix up`` reads the same
file with :func:`load_serve_config` and applies each deployment's options (replicas,
autoscaling, ``max_ongoing_requests``, actor options) with :func:`deployment_options`, so both
run the same shape.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from ray.serve.deployment import Deployment
from ray.serve.schema import DeploymentSchema, ServeDeploySchema

__all__ = ["DEFAULT_SERVE_CONFIG", "ServeConfigError", "deployment_options", "load_serve_config"]

DEFAULT_SERVE_CONFIG = Path(__file__).with_name("config.yaml")
"""The config shipped with OPTIX."""

# what the file may set that Deployment.options() takes (name is the key, not an option)
_OPTION_FIELDS = frozenset(DeploymentSchema.model_fields).intersection(
    inspect.signature(Deployment.options).parameters) - {"name"}


class ServeConfigError(ValueError):
    """A Serve config file that cannot be used (the message names the file and the field)."""


def load_serve_config(path: Path | str | None = None) -> ServeDeploySchema:
    """Read and validate a Serve config file.

    Parameters
    ----------
    path : Path or str, optional
        Default :data:`DEFAULT_SERVE_CONFIG`.

    Raises
    ------
    ServeConfigError
        If the file is missing, not YAML, or not a valid ``serve build`` config.
    """
    p = Path(path) if path is not None else DEFAULT_SERVE_CONFIG
    try:
        raw = yaml.safe_load(p.read_text())
    except OSError as exc:
        raise ServeConfigError(f"{p}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ServeConfigError(f"{p}: not YAML ({exc})") from None
    try:
        return ServeDeploySchema.model_validate(raw)
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}"
                          for e in exc.errors())
        raise ServeConfigError(f"{p}: {where}") from None


def deployment_options(config: ServeDeploySchema, app_name: str | None = None
                       ) -> dict[str, dict[str, Any]]:
    """``Deployment.options()`` arguments per deployment name, from one application.

    Only the fields the file sets are given, so a deployment keeps its code defaults for the
    rest.

    Parameters
    ----------
    config : ServeDeploySchema
    app_name : str, optional
        The application to read; default the file's only one.

    Raises
    ------
    ServeConfigError
        If the file has no application ``app_name`` (or, without one, several).
    """
    apps = {a.name: a for a in config.applications}
    if app_name is None:
        if len(apps) != 1:
            raise ServeConfigError(f"the Serve config has {len(apps)} applications "
                                   f"({sorted(apps)}): name the one to run")
        app_name = next(iter(apps))
    app = apps.get(app_name)
    if app is None:
        raise ServeConfigError(f"the Serve config has no application {app_name!r} "
                               f"(it has {sorted(apps)})")
    out: dict[str, dict[str, Any]] = {}
    for dep in app.deployments:
        given = dep.model_dump(exclude_unset=True)
        unused = set(given) - _OPTION_FIELDS - {"name"}
        if unused:
            raise ServeConfigError(f"deployment {dep.name!r}: {sorted(unused)} cannot be "
                                   "applied by optix up (Deployment.options has no such "
                                   "argument)")
        out[dep.name] = {k: v for k, v in given.items() if k in _OPTION_FIELDS}
    return out
