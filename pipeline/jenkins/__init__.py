"""Jenkins from Python: the job as code, builds, approvals and push notifications.

One module per concern: ``settings`` (who and where), ``client`` (connection and its errors),
``jobconfig`` (the job's config.xml), ``sync``, ``builds`` (queue, console, result),
``approval``, ``status``, ``hooks`` and the hook itself, ``post_receive``.
"""
