"""Figures of the multi-host path: provisioning and rolling deploys on the fleet."""
