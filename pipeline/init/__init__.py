"""``pipeline init``: adopt the pipeline in a service's repository, the way ``kamal init`` does,
but from what the repository already says (its app, requirements, migrations, version) instead
of a blank template; everything it cannot tell comes from a flag, never from a prompt.

``app``, ``checks`` and ``project`` read the repository; ``answers`` settles every value (flag,
else detection, else one clear error); ``block``, ``jenkinsfile`` and ``inventory`` render what
is written (through ``templates``); ``plan`` writes it all or nothing; ``command`` runs them.
"""
