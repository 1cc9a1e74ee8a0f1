"""Jenkins from Python: the controller as code, builds, approvals and push notifications.

One module per concern: ``settings`` (who and where), ``jenkinsfile`` (what the Jenkinsfile
declares it needs), ``definition`` (the controller: jobs, folder, credential scopes, agents,
roles), its two renderings ``casc`` (casc.yaml) and ``jobconfig`` (config.xml for ``sync``),
``client`` (connection and its errors), ``builds`` (queue, console, result), ``approval``,
``status``, ``hooks`` and the hook itself, ``post_receive``.
"""
