"""Tests of images, registry pushes and Ansible deploys."""
