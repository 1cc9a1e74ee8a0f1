"""The stages, one module each, named as the stage, and the registry they join."""
