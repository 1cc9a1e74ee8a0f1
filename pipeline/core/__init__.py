"""What every part of the pipeline shares: config, errors, running tools, secrets, records."""
