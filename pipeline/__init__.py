"""A CI/CD pipeline whose stages run the same in Jenkins and on a laptop.

Each stage is one module with one public entry point; ``pipeline.cli`` only parses arguments.
"""
