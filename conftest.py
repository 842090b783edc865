"""Makes ``pytest`` in this repository load tenantcheck's plugin, also where the package is not installed
(``PYTHONPATH=.``); an installed copy loads it through its ``pytest11`` entry point, and then this adds
nothing (registering the plugin twice would be an error)."""

from importlib.metadata import entry_points

pytest_plugins = [] if entry_points(group="pytest11", name="tenantcheck") else ["tenantcheck.plugin"]
