"""Simulation studies of the bulletin's statistics (run as modules, not imported by the app)."""
