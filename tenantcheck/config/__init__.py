"""Configuration: environments (where a run goes), profiles (what the API looks like), TOML loading."""
