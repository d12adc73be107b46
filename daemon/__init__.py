"""The daemon: service lifecycle, dispatcher, control socket, CLI and configuration."""
