"""Shipping the service: the Docker engine, images, the registry and Ansible deploys."""
